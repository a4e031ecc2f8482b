// What publishing would change: the draft against the live version, step by step and setting
// by setting, in words a marketer reads before confirming.
import type { Definition, Step } from './definition'

export type Change = { change: 'added' | 'removed' | 'changed'; what: string; detail: string }

const SETTINGS = ['name', 'description', 'trigger', 'audience', 'exits', 'goal', 'holdout_share'] as const

/** Stable JSON (keys sorted) so a reordered object is not a change. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  )
}

function stepChanges(before: Step, after: Step): string {
  const was = before as Record<string, unknown>
  const now = after as Record<string, unknown>
  const keys = [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()
  return keys
    .filter((k) => canonical(was[k]) !== canonical(now[k]))
    .map((k) => `${k}: ${canonical(was[k]) ?? '—'} → ${canonical(now[k]) ?? '—'}`)
    .join('; ')
}

export function diffDefinitions(live: Definition, draft: Definition): Change[] {
  const changes: Change[] = []
  for (const key of SETTINGS) {
    const [was, now] = [canonical(live[key]), canonical(draft[key])]
    if (was !== now) changes.push({ change: 'changed', what: key, detail: `${was ?? '—'} → ${now ?? '—'}` })
  }
  const liveSteps = new Map(live.steps.map((s) => [s.id, s]))
  const draftSteps = new Map(draft.steps.map((s) => [s.id, s]))
  for (const step of draft.steps) {
    const was = liveSteps.get(step.id)
    if (!was) changes.push({ change: 'added', what: `step ${step.id}`, detail: step.kind })
    else if (canonical(was) !== canonical(step)) {
      changes.push({ change: 'changed', what: `step ${step.id}`, detail: stepChanges(was, step) })
    }
  }
  for (const step of live.steps) {
    if (!draftSteps.has(step.id)) changes.push({ change: 'removed', what: `step ${step.id}`, detail: step.kind })
  }
  const order = (d: Definition) => d.steps.map((s) => s.id).filter((id) => liveSteps.has(id) && draftSteps.has(id))
  if (order(live).join() !== order(draft).join()) {
    changes.push({ change: 'changed', what: 'order of steps', detail: order(draft).join(' → ') })
  }
  return changes
}
