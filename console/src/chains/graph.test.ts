import { describe, expect, it } from 'vitest'
import type { ChainDefinition, VersionFigures } from '../api/types'
import { versionFigures } from '../api/fixtures'
import { chainGraph, TRIGGER_ID } from './graph'

const reactivation: ChainDefinition = {
  id: 'reactivation',
  name: 'Reactivation',
  trigger: { kind: 'segment_entered', segments: ['recency.at_risk'] },
  steps: [
    { id: 'grant', kind: 'grant_bonus', amount: 300, lifetime_days: 14 },
    { id: 'tell', kind: 'send', template: 'reactivation', channels: ['push', 'email'] },
    {
      id: 'wait_click',
      kind: 'wait',
      wait: { type: 'event', event: 'message.clicked', timeout: 'P3D', on_timeout: 'remind' },
      next: 'done',
    },
    { id: 'remind', kind: 'send', template: 'reactivation_reminder', channels: ['sms'] },
    { id: 'done', kind: 'exit', reason: 'completed' },
  ],
}

const figures: VersionFigures = versionFigures(1, {
  enrolled: 12,
  treated: 10,
  holdout: 2,
  active: 5,
  exited: { completed: 3, purchase: 4 },
  steps: { grant: { messages: {}, points_granted: 3000 }, tell: { messages: { push: 8, email: 2 }, points_granted: 0 } },
})

describe('chainGraph', () => {
  const graph = chainGraph(reactivation, figures)
  const targets = (source: string) =>
    graph.edges.filter((e) => e.source === source).map((e) => e.target)

  it('starts at the trigger and follows the steps in order', () => {
    expect(targets(TRIGGER_ID)).toEqual(['grant'])
    expect(targets('grant')).toEqual(['tell'])
  })

  it('draws both ways out of a wait for an event', () => {
    expect(targets('wait_click').sort()).toEqual(['done', 'remind'])
  })

  it('ends at exits and draws condition exits with their counts', () => {
    expect(targets('done')).toEqual([])
    const purchase = graph.nodes.find((n) => n.id === '__left_purchase')
    expect(purchase?.figures).toEqual(['4 left'])
    expect(graph.nodes.find((n) => n.id === 'done')?.figures).toEqual(['3 left here'])
  })

  it('puts the figures of each step on its node', () => {
    expect(graph.nodes.find((n) => n.id === TRIGGER_ID)?.figures).toContain('12 enrolled')
    expect(graph.nodes.find((n) => n.id === 'tell')?.figures).toEqual(['8 push, 2 email sent'])
    expect(graph.nodes.find((n) => n.id === 'grant')?.figures).toEqual(['3000 points granted'])
  })

  it('lays a step below the one that leads to it', () => {
    const y = (id: string) => graph.nodes.find((n) => n.id === id)!.position.y
    expect(y('grant')).toBeGreaterThan(y(TRIGGER_ID))
    expect(y('tell')).toBeGreaterThan(y('grant'))
  })

  it('lays out fifty steps quickly', () => {
    const steps = Array.from({ length: 50 }, (_, i) => ({
      id: `s${i}`,
      kind: 'send' as const,
      template: 't',
      channels: ['email' as const],
    }))
    const started = performance.now()
    const big = chainGraph({ ...reactivation, steps })
    expect(big.nodes).toHaveLength(52)
    expect(performance.now() - started).toBeLessThan(100)
  })
})

describe('chainGraph with the step report', () => {
  const split = (treated: number, holdout: number) => ({ treated, holdout })
  const step = (id: string, reached: number, waiting: number, exited: Record<string, number> = {}) => ({
    step: id,
    kind: 'send',
    reached: split(reached, 1),
    waiting,
    exited,
    messages: {},
    points_granted: 0,
  })
  const report = {
    version: 1,
    exited_before_first_step: { not_in_audience: 2 },
    steps: [step('grant', 9, 0), step('tell', 9, 0), step('wait_click', 8, 3, { purchase: 2 }), step('remind', 2, 1)],
  }
  const graph = chainGraph(reactivation, figures, report)
  const node = (id: string) => graph.nodes.find((n) => n.id === id)!

  it('shows on each node how many reached it, wait there now and left there by reason', () => {
    expect(node('wait_click').figures).toEqual(['9 reached', '3 waiting now', '2 left here: purchase'])
    expect(node('tell').figures).toEqual(['10 reached', '8 push, 2 email sent'])
    expect(node(TRIGGER_ID).figures).toContain('2 left before the first step: not in audience')
  })

  it('labels an edge with its flow where the target has no other way in', () => {
    const edge = (source: string, target: string) =>
      graph.edges.find((e) => e.source === source && e.target === target)!
    expect(edge(TRIGGER_ID, 'grant').label).toBe('10 →')
    expect(edge('wait_click', 'remind').label).toBe('timeout: 3 →')
    // `done` is reached from two steps: the split between them is not in the report.
    expect(edge('remind', 'done').label).toBeUndefined()
  })
})
