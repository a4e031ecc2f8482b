import { describe, expect, it } from 'vitest'
import { addStep, emptyDefinition, moveStep, replaceStep } from './definition'
import { diffDefinitions } from './diff'

describe('the draft against the live version', () => {
  const live = addStep(addStep(emptyDefinition('c', 'C'), 'send', -1), 'wait', 0)

  it('finds nothing when they are the same, whatever the key order', () => {
    const reordered = Object.fromEntries(Object.entries(live).reverse()) as typeof live
    const exits = Object.fromEntries(Object.entries(live.exits).reverse()) as typeof live.exits
    expect(diffDefinitions(live, { ...reordered, exits })).toEqual([])
  })

  it('names added, removed and changed steps and settings', () => {
    let draft = addStep(live, 'grant_bonus', 1)
    draft = { ...draft, steps: draft.steps.filter((s) => s.id !== 'wait_1'), holdout_share: 0.1 }
    draft = replaceStep(draft, 0, { ...draft.steps[0]!, kind: 'send', template: 'offer', channels: ['push'] } as never)
    const changes = diffDefinitions(live, draft)
    expect(changes).toContainEqual({ change: 'changed', what: 'holdout_share', detail: '0 → 0.1' })
    expect(changes).toContainEqual({ change: 'added', what: 'step grant_bonus_1', detail: 'grant_bonus' })
    expect(changes).toContainEqual({ change: 'removed', what: 'step wait_1', detail: 'wait' })
    const send = changes.find((c) => c.what === 'step send_1')!
    expect(send.detail).toContain('channels: ["email"] → ["push"]')
    expect(send.detail).toContain('template: "" → "offer"')
  })

  it('notices a new order of the same steps', () => {
    expect(diffDefinitions(live, moveStep(live, 0, 1))).toContainEqual({
      change: 'changed', what: 'order of steps', detail: 'wait_1 → send_1 → done',
    })
  })
})
