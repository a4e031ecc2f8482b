import { describe, expect, it } from 'vitest'
import { describeDecision, expiryTimeline } from './customers'

const at = '2026-12-04T20:00:00Z'

describe('describeDecision', () => {
  it('reads a deferral with its reason and the local time it waits for', () => {
    const decision = { action: 'defer', reason: 'daily_cap', decided_at: at, until: '2026-12-05T08:00:00Z' }
    expect(describeDecision(decision, 'Europe/Berlin')).toBe('deferred: daily cap, until 5 Dec, 09:00 local')
  })

  it('reads quiet hours, a skip for no consent and a plain send', () => {
    const quiet = { action: 'defer', reason: 'quiet_hours', decided_at: at, until: '2026-12-05T07:00:00Z' }
    expect(describeDecision(quiet, 'UTC')).toBe('deferred: quiet hours, until 5 Dec, 07:00 local')
    expect(describeDecision({ action: 'drop', reason: 'no_consent', decided_at: at, until: null }, 'UTC')).toBe(
      'skipped: no consent',
    )
    expect(describeDecision({ action: 'send', reason: 'allowed', decided_at: at, until: null }, 'UTC')).toBe('sent')
  })
})

describe('expiryTimeline', () => {
  it('orders the lots by expiry and counts the days left', () => {
    const lines = expiryTimeline(
      [
        { amount: 50, expires_at: '2026-12-31T00:00:00Z' },
        { amount: 20, expires_at: '2026-12-10T00:00:00Z' },
      ],
      new Date('2026-12-04T00:00:00Z'),
    )
    expect(lines.map((l) => [l.amount, l.daysLeft])).toEqual([
      [20, 6],
      [50, 27],
    ])
  })
})
