// The segment rule language (docs/segments.md) as a tree the builder edits by path: a path is
// the list of child positions from the root (`[1, 0]`: the first rule inside the second).
// Rules stay in the JSON the API takes, so what the builder shows is what gets saved.

export type Window = { days: number } | { period: string }
export type Condition =
  | { attribute: string; op: string; value: unknown }
  | { aggregate: 'purchase_count' | 'spend'; op: string; value: unknown; window?: Window; channel?: string }
  | { bought_category: string; window?: Window }
  | { segment: string; op?: 'in' | 'not_in' }
export type Rule = { and: Rule[] } | { or: Rule[] } | { not: Rule } | Condition
export type RuleKind = 'and' | 'or' | 'not' | 'attribute' | 'aggregate' | 'bought_category' | 'segment'
export type Path = number[]

export const COMPARISONS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between']
export const ATTRIBUTES: Record<string, string[]> = {
  city: ['eq', 'ne', 'in', 'not_in'],
  tier: ['eq', 'ne', 'in', 'not_in'],
  time_zone: ['eq', 'ne', 'in', 'not_in'],
  subscribed: ['contains', 'not_contains'],
  birthday: ['within_days'],
  last_engagement: ['within_days'],
  days_since_last_purchase: COMPARISONS,
  cart_total: COMPARISONS,
}
export const PERIODS = ['current_month', 'previous_month', 'current_quarter', 'previous_quarter', 'current_year', 'previous_year']

export function kindOf(rule: Rule): RuleKind {
  for (const kind of ['and', 'or', 'not', 'attribute', 'aggregate', 'bought_category', 'segment'] as const) {
    if (kind in rule) return kind
  }
  throw new Error(`not a rule: ${JSON.stringify(rule)}`)
}

/** The rules directly inside a group or a `not`; a condition has none. */
export function children(rule: Rule): Rule[] {
  if ('and' in rule) return rule.and
  if ('or' in rule) return rule.or
  if ('not' in rule) return [rule.not]
  return []
}

function withChildren(rule: Rule, next: Rule[]): Rule {
  if ('and' in rule) return { and: next }
  if ('or' in rule) return { or: next }
  if ('not' in rule) return { not: next[0]! }
  return rule
}

/** A new rule of `kind` with values the API accepts, so a fresh rule previews at once. */
export function newRule(kind: RuleKind): Rule {
  switch (kind) {
    case 'and':
    case 'or':
      return { [kind]: [newRule('segment')] } as Rule
    case 'not':
      return { not: newRule('segment') }
    case 'attribute':
      return { attribute: 'city', op: 'eq', value: '' }
    case 'aggregate':
      return { aggregate: 'purchase_count', op: 'gte', value: 1, window: { days: 90 } }
    case 'bought_category':
      return { bought_category: '', window: { days: 90 } }
    case 'segment':
      return { segment: 'recency.active', op: 'in' }
  }
}

export function ruleAt(rule: Rule, path: Path): Rule | undefined {
  let current: Rule | undefined = rule
  for (const i of path) current = current && children(current)[i]
  return current
}

/** The tree with the rule at `path` replaced by `next` (everything else shared). */
export function replaceAt(rule: Rule, path: Path, next: Rule): Rule {
  const [head, ...rest] = path
  if (head === undefined) return next
  return withChildren(rule, children(rule).map((child, i) => (i === head ? replaceAt(child, rest, next) : child)))
}

/** Remove the rule at `path` from its group; the last rule of a group or a `not` stays. */
export function removeAt(rule: Rule, path: Path): Rule {
  const parentPath = path.slice(0, -1)
  const parent = ruleAt(rule, parentPath)
  if (!parent || 'not' in parent || children(parent).length < 2) return rule
  return replaceAt(rule, parentPath, withChildren(parent, children(parent).filter((_, i) => i !== path.at(-1))))
}

/** Add `child` at the end of the group at `path`. */
export function appendAt(rule: Rule, path: Path, child: Rule): Rule {
  const group = ruleAt(rule, path)
  if (!group || !('and' in group || 'or' in group)) return rule
  return replaceAt(rule, path, withChildren(group, [...children(group), child]))
}

/** Negate the rule at `path`, or lift the negation off when it is one. */
export function toggleNot(rule: Rule, path: Path): Rule {
  const target = ruleAt(rule, path)
  if (!target) return rule
  return replaceAt(rule, path, 'not' in target ? target.not : { not: target })
}

/** Switch a group between all (`and`) and any (`or`) of its rules. */
export function switchGroup(rule: Rule, path: Path): Rule {
  const group = ruleAt(rule, path)
  if (!group) return rule
  if ('and' in group) return replaceAt(rule, path, { or: group.and })
  if ('or' in group) return replaceAt(rule, path, { and: group.or })
  return rule
}

/** The API's JSONPath of a rule: `[1, 0]` under an `and` holding an `or` is `$.and[1].or[0]`. */
export function jsonPath(rule: Rule, path: Path): string {
  let out = '$'
  let current = rule
  for (const i of path) {
    const kind = kindOf(current)
    out += kind === 'not' ? '.not' : `.${kind}[${i}]`
    current = children(current)[i]!
  }
  return out
}

/**
 * The API's problems (`{path: "$.and[1].op", reason}`) by the rule they belong to, keyed by
 * that rule's JSONPath; a problem inside a rule's field goes to the rule.
 */
const FIELD = /\.(?!and\[|or\[|not\b)[^.[]+(\[\d+\])?$/

export function problemsByRule(problems: { path?: string; reason?: string }[]): Map<string, string[]> {
  const byRule = new Map<string, string[]>()
  for (const { path = '$', reason = '' } of problems) {
    let rulePath = path.replace(/^\$\.definition/, '$')
    // Strip the field names (`.window.days`, `.value[1]`) down to the rule that holds them.
    for (let field = FIELD.exec(rulePath); field; field = FIELD.exec(rulePath)) rulePath = rulePath.slice(0, field.index)
    byRule.set(rulePath, [...(byRule.get(rulePath) ?? []), reason])
  }
  return byRule
}

/** A condition over a window, or over all time when `window` is left out. */
export function withWindow<T extends { window?: Window }>(rule: T, window: Window | undefined): T {
  const next = { ...rule }
  if (window) next.window = window
  else delete next.window
  return next
}
