import { describe, expect, it } from 'vitest'
import { chainGraph } from '../chains/graph'
import type { ChainDefinition } from '../api/types'
import { addStep, connect, emptyDefinition, moveStep, removeStep, replaceStep, withDefaults, type Definition, type Step } from './definition'

function draft(): Definition {
  let d = emptyDefinition('winback', 'Win back')
  d = addStep(d, 'grant_bonus', -1)
  d = addStep(d, 'send', 0)
  d = addStep(d, 'wait', 1)
  return d
}

const ids = (d: Definition) => d.steps.map((s) => s.id)

describe('editing a draft', () => {
  it('adds steps with fresh ids where they are asked for', () => {
    expect(ids(draft())).toEqual(['grant_bonus_1', 'send_1', 'wait_1', 'done'])
    expect(ids(addStep(draft(), 'send', 1))).toEqual(['grant_bonus_1', 'send_1', 'send_2', 'wait_1', 'done'])
  })

  it('removes a step and every link to it, keeping the last step', () => {
    let d = replaceStep(draft(), 0, { ...draft().steps[0]!, next: 'wait_1' } as Step)
    d = removeStep(d, 2)
    expect(ids(d)).toEqual(['grant_bonus_1', 'send_1', 'done'])
    expect(d.steps[0]!.next).toBeNull()
    const single = emptyDefinition('x', 'x')
    expect(removeStep(single, 0)).toBe(single)
  })

  it('reorders steps and refuses to move past either end', () => {
    expect(ids(moveStep(draft(), 1, 1))).toEqual(['grant_bonus_1', 'wait_1', 'send_1', 'done'])
    const d = draft()
    expect(moveStep(d, 0, -1)).toBe(d)
  })

  it('renames references when a step id changes', () => {
    const d = connect(draft(), 'grant_bonus_1', 'wait_1')
    const renamed = replaceStep(d, 2, { ...d.steps[2]!, id: 'pause' })
    expect(renamed.steps[0]!.next).toBe('pause')
  })

  it('connects an edge as next, and a wait for an event that already has a next as its timeout', () => {
    const d = connect(draft(), 'send_1', 'done')
    expect(d.steps[1]!.next).toBe('done')
    const waiting = replaceStep(d, 2, {
      id: 'wait_1', kind: 'wait', next: 'done', wait: { type: 'event', event: 'message.clicked', timeout: 'P3D', on_timeout: null },
    })
    const timed = connect(waiting, 'wait_1', 'send_1')
    expect(timed.steps[2]).toMatchObject({ next: 'done', wait: { on_timeout: 'send_1' } })
    expect(connect(d, 'done', 'send_1')).toBe(d)
    expect(connect(d, 'send_1', 'nowhere')).toBe(d)
  })

  it('draws what it edits: the canvas graph follows each edit', () => {
    const d = connect(draft(), 'grant_bonus_1', 'wait_1')
    const edges = chainGraph(d as ChainDefinition).edges.map((e) => `${e.source}->${e.target}`)
    expect(edges).toContain('grant_bonus_1->wait_1')
    expect(edges).not.toContain('grant_bonus_1->send_1')
  })

  it('fills the API defaults into a definition read from text', () => {
    const raw = { id: 'x', name: 'X', trigger: { kind: 'event', event: 'member.registered' }, steps: [{ id: 's', kind: 'send', template: 't' }] }
    const full = withDefaults(raw as unknown as Definition)
    expect(full.steps[0]).toMatchObject({ channels: ['email'], fallback: 'on_undeliverable' })
    expect(full.exits.on_purchase).toBe(true)
  })
})
