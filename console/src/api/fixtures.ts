// Test data in the shapes the gateway answers with, for the unit tests of every screen.
import type { Figures, VersionFigures } from './types'

export function emptyFigures(overrides: Partial<Figures> = {}): Figures {
  return {
    enrolled: 0,
    treated: 0,
    holdout: 0,
    active: 0,
    exited: {},
    conversions: { treated: 0, holdout: 0 },
    uplift: null,
    incremental_revenue: null,
    attributed_revenue: 0,
    returned_revenue: 0,
    messages_by_channel: {},
    points_granted: 0,
    cost: { messages: 0, sms_segments: 0, points_redeemed: 0, points: 0, total: 0 },
    incremental_gross_profit: null,
    incremental_roi: null,
    minimum_detectable_effect: { conversion: null, revenue_per_customer: null },
    ...overrides,
  }
}

export function versionFigures(
  version: number,
  overrides: Partial<VersionFigures> = {},
): VersionFigures {
  return { ...emptyFigures(), version, steps: {}, ...overrides }
}
