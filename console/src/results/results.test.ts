import { describe, expect, it } from 'vitest'
import { emptyFigures } from '../api/fixtures'
import { costLines, dailySeries, funnelRows, sampleNote } from './results'

const split = (treated: number, holdout: number) => ({ treated, holdout })

describe('funnelRows', () => {
  it('keeps the version order and sums the exits of each step', () => {
    const rows = funnelRows({
      version: 1,
      exited_before_first_step: {},
      steps: [
        { step: 'tell', kind: 'send', reached: split(9, 1), waiting: 0, exited: {}, messages: { sent: 8, failed: 1 }, deferred: {}, skipped: {}, points_granted: 0 },
        { step: 'wait', kind: 'wait', reached: split(8, 1), waiting: 3, exited: { purchase: 4, cancelled: 1 }, messages: {}, deferred: {}, skipped: {}, points_granted: 0 },
      ],
    })
    expect(rows.map((r) => [r.step, r.treated, r.holdout, r.waiting, r.left, r.sent])).toEqual([
      ['tell', 9, 1, 0, 0, 8],
      ['wait', 8, 1, 3, 5, 0],
    ])
  })
})

describe('dailySeries', () => {
  it('splits a count into the treated line and the holdout line', () => {
    const days = [
      { date: '2026-12-01', enrolled: split(5, 1), exited: split(0, 0), conversions: split(2, 0), revenue: split(9000, 0), revenue_per_member: split(1800, 0) },
      { date: '2026-12-02', enrolled: split(3, 0), exited: split(1, 1), conversions: split(1, 1), revenue: split(2000, 1500), revenue_per_member: split(250, 1500) },
    ]
    expect(dailySeries(days, 'conversions')).toEqual({
      dates: ['2026-12-01', '2026-12-02'],
      treated: [2, 1],
      holdout: [0, 1],
    })
  })

  it('gives the revenue per member of each arm in minor units', () => {
    const days = [
      { date: '2026-12-02', enrolled: split(3, 0), exited: split(1, 1), conversions: split(1, 1), revenue: split(2000, 1500), revenue_per_member: split(250, 1500) },
    ]
    expect(dailySeries(days, 'revenue_per_member')).toEqual({ dates: ['2026-12-02'], treated: [250], holdout: [1500] })
  })
})

describe('costLines', () => {
  it('lists every channel and the points at their value', () => {
    const figures = emptyFigures({
      messages_by_channel: { sms: { sent: 4, failed: 1, cost: 2800 } },
      points_granted: 300,
      cost: { messages: 2800, sms_segments: 4, points_redeemed: 100, points: 100, total: 2900 },
    })
    expect(costLines(figures, 1)).toEqual([
      { label: 'sms', count: '4 sent, 1 failed', cost: 2800 },
      { label: 'points', count: '100 redeemed of 300 granted, 1 per point', cost: 100 },
    ])
  })
})

describe('sampleNote', () => {
  const uplift = { treated_rate: 0.3, holdout_rate: 0.28, difference: 0.02, ci95_low: -0.1, ci95_high: 0.14, relative: 0.07 }

  it('says when there is no holdout to compare with', () => {
    expect(sampleNote(emptyFigures())).toMatch(/^No holdout yet/)
  })

  it('says an uplift below the detectable effect needs more customers', () => {
    const figures = emptyFigures({
      treated: 90,
      holdout: 10,
      uplift,
      minimum_detectable_effect: { conversion: 0.4, revenue_per_customer: null },
    })
    expect(sampleNote(figures)).toBe(
      'With 90 treated and 10 in the holdout, the smallest conversion uplift this test detects ' +
        '(80 % power, 5 % two-sided) is 40.0 %. The observed 2.0 % is below it: wait for more customers.',
    )
  })

  it('says a significant uplift is significant', () => {
    const figures = emptyFigures({
      treated: 900,
      holdout: 100,
      uplift: { ...uplift, ci95_low: 0.01 },
      minimum_detectable_effect: { conversion: 0.01, revenue_per_customer: null },
    })
    expect(sampleNote(figures)).toMatch(/significant\.$/)
  })
})
