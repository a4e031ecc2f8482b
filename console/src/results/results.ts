import type { Day, Figures, VersionSteps } from '../api/types'
import { percent } from '../common/format'

export type FunnelRow = {
  step: string
  kind: string
  treated: number
  holdout: number
  waiting: number
  left: number
  sent: number
  points: number
}

/** One row per step in the version's order: who reached it, waits there, left there. */
export function funnelRows(version: VersionSteps): FunnelRow[] {
  return version.steps.map((s) => ({
    step: s.step,
    kind: s.kind,
    treated: s.reached.treated,
    holdout: s.reached.holdout,
    waiting: s.waiting,
    left: Object.values(s.exited).reduce((a, b) => a + b, 0),
    sent: s.messages.sent ?? 0,
    points: s.points_granted,
  }))
}

export type Series = { dates: string[]; treated: number[]; holdout: number[] }

export type DailyFigure = 'enrolled' | 'exited' | 'conversions' | 'revenue' | 'revenue_per_member'

/** One of the daily figures (counts, or revenue in minor units) as two lines over the days. */
export function dailySeries(days: Day[], of: DailyFigure): Series {
  return {
    dates: days.map((d) => d.date),
    treated: days.map((d) => d[of].treated),
    holdout: days.map((d) => d[of].holdout),
  }
}

export type CostLine = { label: string; count: string; cost: number }

/** Messages by channel, then the points redeemed at their value: what the chain cost. */
export function costLines(figures: Figures, pointValue: number): CostLine[] {
  const lines = Object.entries(figures.messages_by_channel).map(([channel, entry]) => ({
    label: channel,
    count: `${entry.sent} sent, ${entry.failed} failed`,
    cost: entry.cost,
  }))
  lines.push({
    label: 'points',
    count: `${figures.cost.points_redeemed} redeemed of ${figures.points_granted} granted, ${pointValue} per point`,
    cost: figures.cost.points,
  })
  return lines
}

/** What the sample can tell: the smallest uplift it detects, and whether the result clears it. */
export function sampleNote(figures: Figures): string {
  const mde = figures.minimum_detectable_effect.conversion
  if (mde === null || !figures.uplift) {
    return 'No holdout yet: uplift needs customers in both the treated group and the holdout.'
  }
  const base =
    `With ${figures.treated} treated and ${figures.holdout} in the holdout, the smallest ` +
    `conversion uplift this test detects (80 % power, 5 % two-sided) is ${percent(mde)}.`
  const observed = Math.abs(figures.uplift.difference)
  if (figures.uplift.ci95_low > 0) return `${base} The uplift is significant.`
  if (observed < mde) return `${base} The observed ${percent(observed)} is below it: wait for more customers.`
  return `${base} The interval still includes zero.`
}
