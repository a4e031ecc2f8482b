import type { components } from '../api/schema'
import { templateEditHref } from '../common/route'
import { CHANNELS, type Channel, type Definition, type Step, type WaitRule } from './definition'
import { messagesFor, type FieldError } from './errors'
import { CheckField, ListField, NumberField, SelectField, TextField } from './fields'
import { TestSend } from './TestSend'

type Schemas = components['schemas']
type Props<S extends Step = Step> = {
  step: S
  index: number
  definition: Definition
  errors: FieldError[]
  templates: string[]
  onChange: (step: Step) => void
}

const WAIT_EVENTS: Schemas['WaitForEvent']['event'][] = [
  'purchase', 'purchase.returned', 'cart.updated', 'message.delivered', 'message.opened', 'message.clicked', 'message.failed',
]

function stepTargets(definition: Definition, self: string, none: string) {
  return [{ value: '', label: none }, ...definition.steps.filter((s) => s.id !== self).map((s) => ({ value: s.id, label: s.id }))]
}

/** The channels tried in order: the first that can take the message, then the next. */
function Cascade({ step, index, errors, onChange }: Props<Schemas['SendStep']>) {
  const set = (channels: Channel[]) => onChange({ ...step, channels })
  const unused = CHANNELS.filter((c) => !step.channels.includes(c))
  return (
    <fieldset>
      <legend>Channel cascade</legend>
      <ol className="cascade">
        {step.channels.map((channel, i) => (
          <li key={channel}>
            <span>{channel}</span>
            <button type="button" className="small" aria-label={`Try ${channel} earlier`} disabled={i === 0}
              onClick={() => set(step.channels.map((c, j) => (j === i - 1 ? channel : j === i ? step.channels[i - 1]! : c)))}>↑</button>
            <button type="button" className="small" aria-label={`Remove ${channel}`} onClick={() => set(step.channels.filter((c) => c !== channel))}>✕</button>
          </li>
        ))}
      </ol>
      {messagesFor(errors, index, 'channels').map((m) => (
        <p key={m} className="error">{m}</p>
      ))}
      {unused.map((channel) => (
        <button key={channel} type="button" className="small" onClick={() => set([...step.channels, channel])}>
          + {channel}
        </button>
      ))}
    </fieldset>
  )
}

function SendForm(props: Props<Schemas['SendStep']>) {
  const { step, index, errors, templates, onChange, definition } = props
  return (
    <>
      <SelectField label="Template" value={step.template} errors={messagesFor(errors, index, 'template')}
        options={[{ value: '', label: 'Choose a template' }, ...templates.map((t) => ({ value: t, label: t }))]}
        onChange={(template) => onChange({ ...step, template })} />
      {step.template && step.channels[0] && (
        <p>
          <a href={templateEditHref(step.template, step.channels[0])}>Edit the template {step.template} ({step.channels[0]})</a>
        </p>
      )}
      <Cascade {...props} />
      <SelectField label="When a channel fails" value={step.fallback} options={[
        { value: 'on_undeliverable', label: 'try the next channel if undeliverable' },
        { value: 'notifier_cascade', label: 'the notifier cascade (next channel if no reaction)' },
      ]} onChange={(fallback) => onChange({ ...step, fallback })} />
      <TextField label="Reaction window (ISO 8601, e.g. PT6H)" value={step.reaction_window ?? ''} errors={messagesFor(errors, index, 'reaction_window')}
        onChange={(v) => onChange({ ...step, reaction_window: v || null })} />
      <CheckField label="SMS only when no other channel reaches" checked={step.sms_only_if_no_other_channel}
        onChange={(v) => onChange({ ...step, sms_only_if_no_other_channel: v })} />
      <TestSend chainId={definition.id} step={step} />
    </>
  )
}

function WaitFields({ step, index, errors, definition, onChange }: Props<Schemas['WaitStep']>) {
  const wait = step.wait
  const set = (next: WaitRule) => onChange({ ...step, wait: next })
  const at = (field: string) => messagesFor(errors, index, `wait.${field}`)
  return (
    <>
      <SelectField label="Wait" value={wait.type} options={[
        { value: 'duration', label: 'for a duration' },
        { value: 'until_local_time', label: 'until a local time of day' },
        { value: 'event', label: 'for an event, with a timeout' },
      ]} onChange={(type) => set(
        type === 'duration' ? { type, duration: 'P1D' }
          : type === 'until_local_time' ? { type, at: '10:00', after_days: 0 }
            : { type, event: 'message.clicked', timeout: 'P3D', on_timeout: null },
      )} />
      {wait.type === 'duration' && (
        <TextField label="Duration (ISO 8601, e.g. P3D)" value={wait.duration} errors={at('duration')} onChange={(duration) => set({ ...wait, duration })} />
      )}
      {wait.type === 'until_local_time' && (
        <>
          <TextField label="Local time (HH:MM)" value={wait.at} errors={at('at')} onChange={(v) => set({ ...wait, at: v })} />
          <NumberField label="After days" value={wait.after_days} errors={at('after_days')} onChange={(v) => set({ ...wait, after_days: v ?? 0 })} />
        </>
      )}
      {wait.type === 'event' && (
        <>
          <SelectField label="Event" value={wait.event} options={WAIT_EVENTS} errors={at('event')} onChange={(event) => set({ ...wait, event })} />
          <TextField label="Timeout (ISO 8601)" value={wait.timeout} errors={at('timeout')} onChange={(timeout) => set({ ...wait, timeout })} />
          <SelectField label="On timeout go to" value={wait.on_timeout ?? ''} errors={at('on_timeout')}
            options={stepTargets(definition, step.id, 'the next step')} onChange={(v) => set({ ...wait, on_timeout: v || null })} />
        </>
      )}
    </>
  )
}

function GrantForm({ step, index, errors, onChange }: Props<Schemas['GrantBonusStep']>) {
  const at = (field: string) => messagesFor(errors, index, field)
  const restrictions = step.restrictions ?? {}
  const restrict = (patch: Schemas['Restrictions']) => onChange({ ...step, restrictions: { ...restrictions, ...patch } })
  return (
    <>
      <NumberField label="Points" value={step.amount} errors={at('amount')} onChange={(v) => onChange({ ...step, amount: v ?? 0 })} />
      <NumberField label="Lifetime (days)" value={step.lifetime_days} errors={at('lifetime_days')} onChange={(v) => onChange({ ...step, lifetime_days: v ?? 0 })} />
      <NumberField label="Spendable after (days)" value={step.active_after_days} errors={at('active_after_days')}
        onChange={(v) => onChange({ ...step, active_after_days: v ?? 0 })} />
      <fieldset>
        <legend>Restrictions</legend>
        <ListField label="Categories" value={restrictions.categories} errors={at('restrictions.categories')} onChange={(v) => restrict({ categories: v.length ? v : null })} />
        <ListField label="Cities" value={restrictions.cities} errors={at('restrictions.cities')} onChange={(v) => restrict({ cities: v.length ? v : null })} />
        <ListField label="Store ids" value={restrictions.store_ids} errors={at('restrictions.store_ids')} onChange={(v) => restrict({ store_ids: v.length ? v : null })} />
        {(['online', 'offline'] as const).map((channel) => (
          <CheckField key={channel} label={`Only ${channel}`} checked={restrictions.store_channels?.includes(channel) ?? false}
            onChange={(on) => {
              const channels = (restrictions.store_channels ?? []).filter((c) => c !== channel)
              restrict({ store_channels: on ? [...channels, channel] : channels.length ? channels : null })
            }} />
        ))}
      </fieldset>
    </>
  )
}

type Condition = Schemas['BranchCase']['when']

function conditionOf(type: Condition['type']): Condition {
  if (type === 'event_seen') return { type, event: 'message.clicked' }
  if (type === 'attribute') return { type, field: 'profile.city', op: 'eq', value: '' }
  return { type, segment: 'recency.cooling' }
}

function BranchForm({ step, index, errors, definition, onChange }: Props<Schemas['BranchStep']>) {
  const setCase = (i: number, next: Schemas['BranchCase']) => onChange({ ...step, cases: step.cases.map((c, j) => (j === i ? next : c)) })
  return (
    <>
      {step.cases.map((branch, i) => {
        const at = (field: string) => messagesFor(errors, index, `cases.${i}.${field}`)
        const when = branch.when
        return (
          <fieldset key={i}>
            <legend>Case {i + 1}</legend>
            <SelectField label="When" value={when.type} options={[
              { value: 'event_seen', label: 'an event was seen' },
              { value: 'attribute', label: 'an attribute holds' },
              { value: 'in_segment', label: 'the customer is in a segment' },
            ]} onChange={(type) => setCase(i, { ...branch, when: conditionOf(type) })} />
            {when.type === 'event_seen' && (
              <SelectField label="Event" value={when.event} options={WAIT_EVENTS} errors={at('when.event')} onChange={(event) => setCase(i, { ...branch, when: { ...when, event } })} />
            )}
            {when.type === 'attribute' && (
              <>
                <TextField label="Field (profile.… or trigger.…)" value={when.field} errors={at('when.field')} onChange={(field) => setCase(i, { ...branch, when: { ...when, field } })} />
                <SelectField label="Operator" value={when.op} options={['eq', 'ne', 'in', 'gt', 'gte', 'lt', 'lte', 'exists'] as const}
                  onChange={(op) => setCase(i, { ...branch, when: { ...when, op } })} />
                <TextField label="Value" value={String(when.value ?? '')} errors={at('when.value')} onChange={(value) => setCase(i, { ...branch, when: { ...when, value } })} />
              </>
            )}
            {when.type === 'in_segment' && (
              <TextField label="Segment" value={when.segment} errors={at('when.segment')} onChange={(segment) => setCase(i, { ...branch, when: { ...when, segment } })} />
            )}
            <SelectField label="Go to" value={branch.goto} errors={at('goto')} options={stepTargets(definition, step.id, 'choose a step')}
              onChange={(goto) => setCase(i, { ...branch, goto })} />
            <button type="button" className="small" disabled={step.cases.length === 1}
              onClick={() => onChange({ ...step, cases: step.cases.filter((_, j) => j !== i) })}>Remove case {i + 1}</button>
          </fieldset>
        )
      })}
      <button type="button" className="small" onClick={() => onChange({ ...step, cases: [...step.cases, { when: conditionOf('event_seen'), goto: step.id }] })}>
        Add a case
      </button>
    </>
  )
}

function KindForm(props: Props) {
  const { step } = props
  switch (step.kind) {
    case 'send':
      return <SendForm {...props} step={step} />
    case 'wait':
      return <WaitFields {...props} step={step} />
    case 'grant_bonus':
      return <GrantForm {...props} step={step} />
    case 'branch':
      return <BranchForm {...props} step={step} />
    case 'exit':
      return (
        <TextField label="Exit reason" value={step.reason} errors={messagesFor(props.errors, props.index, 'reason')}
          onChange={(reason) => props.onChange({ ...step, reason })} />
      )
  }
}

/** The selected step's fields, each with the API's messages for it. */
export function StepForm(props: Props) {
  const { step, index, errors, definition, onChange } = props
  return (
    <div className="step-form">
      <h2>{step.kind.replace('_', ' ')} step</h2>
      <TextField label="Step id" value={step.id} errors={messagesFor(errors, index, 'id')} onChange={(id) => onChange({ ...step, id })} />
      {step.kind !== 'exit' && (
        <SelectField label="Then go to" value={step.next ?? ''} errors={messagesFor(errors, index, 'next')}
          options={stepTargets(definition, step.id, 'the following step')} onChange={(next) => onChange({ ...step, next: next || null })} />
      )}
      <KindForm {...props} />
    </div>
  )
}
