// Where a 422 belongs: the gateway names each problem by a dotted path from the body
// (`body.steps.2.send.channels.0` from the schema, `body.steps.3.next` from the chain's checks).
// The schema's paths carry the tag of the union they went through (`send`, `event`); the
// forms name fields without it, so both spellings land on the same field.
import type { ProblemError } from '../api/client'

export type FieldError = { step: number | null; field: string; message: string }

const UNION_TAGS = new Set([
  'send', 'wait', 'grant_bonus', 'branch', 'exit', // steps
  'duration', 'until_local_time', 'event', // waits, and the event trigger
  'segment_entered', 'schedule', // triggers
  'event_seen', 'attribute', 'in_segment', // branch conditions
])

/** `body.steps.2.send.channels.0` → step 2, field `channels.0`; `body.trigger.event.event` → `trigger.event`. */
export function locate(path: string): { step: number | null; field: string } {
  const parts = path.split('.')
  if (parts[0] === 'body') parts.shift()
  if (parts[0] === 'steps' && parts[1] !== undefined && /^\d+$/.test(parts[1])) {
    return { step: Number(parts[1]), field: untagged(parts.slice(2), true).join('.') }
  }
  return { step: null, field: untagged(parts, false).join('.') }
}

/**
 * Drop the tags the schema's paths add: a step's kind first (`send.channels`, but a wait step's
 * `wait.wait.…`), and the variant after `wait`, `trigger` or `when` when a field follows it.
 */
function untagged(parts: string[], inStep: boolean): string[] {
  const out: string[] = []
  parts.forEach((part, i) => {
    const next = parts[i + 1]
    const stepTag = inStep && i === 0 && UNION_TAGS.has(part) && (part !== 'wait' || next === 'wait')
    const variant = UNION_TAGS.has(part) && next !== undefined && ['wait', 'trigger', 'when'].includes(out.at(-1) ?? '')
    if (!stepTag && !(variant && i > 0 && parts[i - 1] === out.at(-1))) out.push(part)
  })
  return out
}

export function fieldErrors(errors: ProblemError[]): FieldError[] {
  return errors.map((e) => ({ ...locate(e.field ?? e.path ?? ''), message: e.message ?? e.reason ?? '' }))
}

/** The messages for one step (all its fields), or for one field of it and the fields inside. */
export function messagesFor(errors: FieldError[], step: number | null, field = ''): string[] {
  return errors
    .filter((e) => e.step === step && (field === '' || e.field === field || e.field.startsWith(`${field}.`)))
    .map((e) => e.message)
}
