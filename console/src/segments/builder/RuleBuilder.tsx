import { CheckField, NumberField, SelectField, TextField } from '../../builder/fields'
import {
  appendAt, ATTRIBUTES, children, COMPARISONS, jsonPath, kindOf, newRule, PERIODS, removeAt, replaceAt, switchGroup, toggleNot, withWindow,
  type Condition, type Path, type Rule, type RuleKind, type Window,
} from './rules'

type Props = {
  root: Rule
  path: Path
  problems: Map<string, string[]>
  segments: string[]
  onChange: (root: Rule) => void
}

const CONDITIONS: { value: RuleKind; label: string }[] = [
  { value: 'segment', label: 'in another segment' },
  { value: 'attribute', label: 'an attribute' },
  { value: 'aggregate', label: 'purchases or spend' },
  { value: 'bought_category', label: 'bought in a category' },
  { value: 'and', label: 'a group: all of' },
  { value: 'or', label: 'a group: any of' },
]

function WindowFields({ window, label, onChange }: { window: Window | undefined; label: string; onChange: (w: Window | undefined) => void }) {
  const mode = !window ? 'all' : 'days' in window ? 'days' : 'period'
  return (
    <>
      <SelectField label={`${label}: over`} value={mode} options={[
        { value: 'all', label: 'all time' },
        { value: 'days', label: 'the last N days' },
        { value: 'period', label: 'a calendar period' },
      ]} onChange={(m) => onChange(m === 'all' ? undefined : m === 'days' ? { days: 90 } : { period: 'previous_quarter' })} />
      {window && 'days' in window && <NumberField label="Days" value={window.days} onChange={(days) => onChange({ days: days ?? 0 })} />}
      {window && 'period' in window && <SelectField label="Period" value={window.period} options={PERIODS} onChange={(period) => onChange({ period })} />}
    </>
  )
}

/** A comparison's value: a number, two for `between`, a word, or a comma-separated list. */
function ValueField({ op, value, numeric, onChange }: { op: string; value: unknown; numeric: boolean; onChange: (v: unknown) => void }) {
  if (op === 'between') {
    const [low, high] = Array.isArray(value) ? (value as number[]) : [0, 0]
    return (
      <>
        <NumberField label="From" value={low} onChange={(v) => onChange([v ?? 0, high])} />
        <NumberField label="To" value={high} onChange={(v) => onChange([low, v ?? 0])} />
      </>
    )
  }
  if (op === 'in' || op === 'not_in') {
    const list = Array.isArray(value) ? (value as string[]) : []
    return <TextField label="Values (comma-separated)" value={list.join(', ')} onChange={(t) => onChange(t.split(',').map((w) => w.trim()).filter(Boolean))} />
  }
  if (numeric) return <NumberField label="Value" value={typeof value === 'number' ? value : null} onChange={(v) => onChange(v ?? 0)} />
  return <TextField label="Value" value={String(value ?? '')} onChange={onChange} />
}

function ConditionFields({ rule, segments, onChange }: { rule: Condition; segments: string[]; onChange: (r: Rule) => void }) {
  if ('segment' in rule) {
    return (
      <>
        <SelectField label="Segment" value={rule.segment} options={segments.includes(rule.segment) ? segments : [rule.segment, ...segments]}
          onChange={(segment) => onChange({ ...rule, segment })} />
        <CheckField label="Not in it" checked={rule.op === 'not_in'} onChange={(out) => onChange({ ...rule, op: out ? 'not_in' : 'in' })} />
      </>
    )
  }
  if ('bought_category' in rule) {
    return (
      <>
        <TextField label="Category" value={rule.bought_category} onChange={(bought_category) => onChange({ ...rule, bought_category })} />
        <WindowFields label="Bought" window={rule.window} onChange={(window) => onChange(withWindow(rule, window))} />
      </>
    )
  }
  if ('aggregate' in rule) {
    return (
      <>
        <SelectField label="Measure" value={rule.aggregate} options={[
          { value: 'purchase_count', label: 'number of purchases' },
          { value: 'spend', label: 'spend (minor units)' },
        ]} onChange={(aggregate) => onChange({ ...rule, aggregate })} />
        <WindowFields label="Counted" window={rule.window} onChange={(window) => onChange(withWindow(rule, window))} />
        <SelectField label="Comparison" value={rule.op} options={COMPARISONS} onChange={(op) => onChange({ ...rule, op, value: op === 'between' ? [0, 1] : 0 })} />
        <ValueField op={rule.op} value={rule.value} numeric onChange={(value) => onChange({ ...rule, value })} />
      </>
    )
  }
  const operators = ATTRIBUTES[rule.attribute] ?? ['eq']
  const numeric = operators === COMPARISONS || rule.op === 'within_days'
  return (
    <>
      <SelectField label="Attribute" value={rule.attribute} options={Object.keys(ATTRIBUTES)}
        onChange={(attribute) => {
          const op = ATTRIBUTES[attribute]![0]!
          onChange({ attribute, op, value: op === 'contains' ? 'email' : ATTRIBUTES[attribute] === COMPARISONS || op === 'within_days' ? 0 : '' })
        }} />
      <SelectField label="Operator" value={rule.op} options={operators}
        onChange={(op) => onChange({ ...rule, op, value: op === 'between' ? [0, 1] : op === 'in' || op === 'not_in' ? [] : rule.value })} />
      <ValueField op={rule.op} value={rule.value} numeric={numeric} onChange={(value) => onChange({ ...rule, value })} />
    </>
  )
}

/** One rule of the tree and, for a group, the rules inside it, each with its problems. */
export function RuleBuilder({ root, path, problems, segments, onChange }: Props) {
  const rule = path.reduce<Rule>((r, i) => children(r)[i]!, root)
  const kind = kindOf(rule)
  const where = jsonPath(root, path)
  const messages = problems.get(where) ?? []
  const label = path.length ? `Rule ${path.map((i) => i + 1).join('.')}` : 'The rule'
  const set = (next: Rule) => onChange(replaceAt(root, path, next))
  return (
    <fieldset className={`rule rule-${kind}${messages.length ? ' invalid' : ''}`} aria-label={label}>
      <legend>
        {label}: {kind === 'and' ? 'all of' : kind === 'or' ? 'any of' : kind === 'not' ? 'not' : kind.replace('_', ' ')}
      </legend>
      {messages.map((m) => (
        <p key={m} className="error">{m}</p>
      ))}
      {kind === 'and' || kind === 'or' || kind === 'not' ? (
        children(rule).map((_, i) => (
          <RuleBuilder key={i} root={root} path={[...path, i]} problems={problems} segments={segments} onChange={onChange} />
        ))
      ) : (
        <SelectField label="Condition" value={kind} options={CONDITIONS.filter((c) => c.value !== 'and' && c.value !== 'or')}
          onChange={(k) => set(newRule(k))} />
      )}
      {kind !== 'and' && kind !== 'or' && kind !== 'not' && <ConditionFields rule={rule as Condition} segments={segments} onChange={set} />}
      <div className="actions">
        {(kind === 'and' || kind === 'or') && (
          <>
            <AddRule label={label} onAdd={(k) => onChange(appendAt(root, path, newRule(k)))} />
            <button type="button" className="small secondary" onClick={() => onChange(switchGroup(root, path))}>
              Match {kind === 'and' ? 'any' : 'all'} instead
            </button>
          </>
        )}
        <button type="button" className="small secondary" onClick={() => onChange(toggleNot(root, path))}>
          {kind === 'not' ? 'Remove the not' : 'Negate'}
        </button>
        {path.length > 0 && (
          <button type="button" className="small secondary" onClick={() => onChange(removeAt(root, path))}>
            Remove {label.toLowerCase()}
          </button>
        )}
        {path.length === 0 && kind !== 'and' && kind !== 'or' && (
          <button type="button" className="small secondary" onClick={() => onChange({ and: [rule] })}>
            Combine with more rules
          </button>
        )}
      </div>
    </fieldset>
  )
}

function AddRule({ label, onAdd }: { label: string; onAdd: (kind: RuleKind) => void }) {
  return (
    <span className="add-rule">
      {CONDITIONS.map((c) => (
        <button key={c.value} type="button" className="small" aria-label={`Add to ${label.toLowerCase()}: ${c.label}`} onClick={() => onAdd(c.value)}>
          + {c.label}
        </button>
      ))}
    </span>
  )
}
