// Edits of a chain draft as pure functions: each takes a definition and returns a new one, so
// undo/redo keeps every state and the canvas, the side panels and the JSON view share one value.
import type { components } from '../api/schema'

type Schemas = components['schemas']
export type Definition = Schemas['ChainDefinition']
export type Step = Definition['steps'][number]
export type StepKind = Step['kind']
export type Channel = Schemas['SendStep']['channels'][number]
export type WaitRule = Schemas['WaitStep']['wait']

export const STEP_KINDS: StepKind[] = ['send', 'wait', 'grant_bonus', 'branch', 'exit']
export const CHANNELS: Channel[] = ['email', 'push', 'sms', 'messenger']

/** The first `kind_N` id no step has yet (step ids are `[a-z0-9_]{1,50}`). */
export function freshId(steps: Step[], kind: StepKind): string {
  const taken = new Set(steps.map((s) => s.id))
  let n = 1
  while (taken.has(`${kind}_${n}`)) n += 1
  return `${kind}_${n}`
}

/** A new step with every field the API defaults, so the forms always have a value to show. */
export function newStep(kind: StepKind, id: string): Step {
  switch (kind) {
    case 'send':
      return {
        id,
        kind,
        template: '',
        channels: ['email'],
        fallback: 'on_undeliverable',
        sms_only_if_no_other_channel: false,
        variables: {},
      }
    case 'wait':
      return { id, kind, wait: { type: 'duration', duration: 'P1D' } }
    case 'grant_bonus':
      return { id, kind, amount: 100, lifetime_days: 14, active_after_days: 0 }
    case 'branch':
      return { id, kind, cases: [{ when: { type: 'event_seen', event: 'message.clicked' }, goto: id }] }
    case 'exit':
      return { id, kind, reason: 'completed' }
  }
}

/** A draft with nothing but its exit: where "start from an empty chain" begins. */
export function emptyDefinition(id: string, name: string): Definition {
  return {
    schema_version: 1,
    id,
    name,
    description: '',
    trigger: { kind: 'event', event: 'member.registered', filters: [] },
    audience: { reentry: 'never' },
    steps: [newStep('exit', 'done')],
    exits: { on_purchase: true, on_bonus_redeemed: false, on_enrollment_in: [], on_events: [] },
    goal: { event: 'purchase', attribution_window: 'P14D' },
    holdout_share: 0,
  }
}

function withSteps(definition: Definition, steps: Step[]): Definition {
  return { ...definition, steps }
}

/** Insert a new step of `kind` after position `after` (-1: first). */
export function addStep(definition: Definition, kind: StepKind, after: number): Definition {
  const steps = [...definition.steps]
  steps.splice(after + 1, 0, newStep(kind, freshId(steps, kind)))
  return withSteps(definition, steps)
}

/** Every step field that names another step: `next`, a case's `goto`, a wait's `on_timeout`. */
function retarget(step: Step, from: string, to: string | null): Step {
  const swap = (ref: string | null | undefined) => (ref === from ? to : ref)
  let out: Step = step.next === from ? { ...step, next: to } : step
  if (out.kind === 'branch') {
    const cases = out.cases.filter((c) => to !== null || c.goto !== from)
    out = { ...out, cases: cases.map((c) => ({ ...c, goto: swap(c.goto) ?? c.goto })) }
  }
  if (out.kind === 'wait' && out.wait.type === 'event' && out.wait.on_timeout === from) {
    out = { ...out, wait: { ...out.wait, on_timeout: to } }
  }
  return out
}

/** Remove a step; links that pointed at it are dropped, so the rest falls through in order. */
export function removeStep(definition: Definition, index: number): Definition {
  const gone = definition.steps[index]
  if (!gone || definition.steps.length === 1) return definition
  const steps = definition.steps.filter((_, i) => i !== index).map((s) => retarget(s, gone.id, null))
  return withSteps(definition, steps)
}

/** Move a step up (-1) or down (+1) in the order steps fall through. */
export function moveStep(definition: Definition, index: number, delta: -1 | 1): Definition {
  const target = index + delta
  if (target < 0 || target >= definition.steps.length) return definition
  const steps = [...definition.steps]
  ;[steps[index], steps[target]] = [steps[target]!, steps[index]!]
  return withSteps(definition, steps)
}

/** Replace the step at `index`; renaming its id renames every reference to it too. */
export function replaceStep(definition: Definition, index: number, step: Step): Definition {
  const before = definition.steps[index]
  if (!before) return definition
  const steps = definition.steps.map((s, i) => (i === index ? step : s))
  const renamed = before.id !== step.id ? steps.map((s) => retarget(s, before.id, step.id)) : steps
  return withSteps(definition, renamed)
}

/**
 * An edge drawn on the canvas from `source` to `target`: a wait for an event that has no timeout
 * branch yet gets it; otherwise the step's `next` (a branch's "otherwise") points there.
 */
export function connect(definition: Definition, source: string, target: string): Definition {
  const index = definition.steps.findIndex((s) => s.id === source)
  const step = definition.steps[index]
  if (!step || source === target || !definition.steps.some((s) => s.id === target)) return definition
  if (step.kind === 'exit') return definition
  if (step.kind === 'wait' && step.wait.type === 'event' && !step.wait.on_timeout && step.next) {
    return replaceStep(definition, index, { ...step, wait: { ...step.wait, on_timeout: target } })
  }
  return replaceStep(definition, index, { ...step, next: target })
}

/** A definition read from the JSON view: the API's defaults filled in where the text left them out. */
export function withDefaults(raw: Definition): Definition {
  const base = emptyDefinition(raw.id, raw.name)
  const steps = raw.steps.map((step) => ({ ...newStep(step.kind, step.id), ...step }) as Step)
  return {
    ...base,
    ...raw,
    audience: { ...base.audience, ...raw.audience },
    exits: { ...base.exits, ...raw.exits },
    goal: { ...base.goal, ...raw.goal },
    steps,
  }
}
