import { describe, expect, it } from 'vitest'
import { describeDecision, describeReturn, expiryTimeline, lotOrigin } from './customers'

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

describe('lotOrigin', () => {
  it('names the receipt of an accrual', () => {
    const lot = { source: 'purchase', reference: 'tx-1', purchase: { txid: 'tx-1', store_id: 'berlin-01' } }
    expect(lotOrigin(lot)).toEqual({ text: 'purchase tx-1 at berlin-01' })
  })

  it('links a chain step grant to the chain version', () => {
    const lot = { source: 'promo', reference: 'chain:win_back:v3:gift_points', purchase: null }
    expect(lotOrigin(lot)).toEqual({ text: 'chain win_back v3, step gift points', href: '#/chains/win_back/versions/3' })
  })

  it('names a campaign, and any other grant by its source and reference', () => {
    expect(lotOrigin({ source: 'campaign', reference: 'campaign:c-9', purchase: null })).toEqual({ text: 'campaign c-9' })
    expect(lotOrigin({ source: 'manual', reference: 'support-ticket-7', purchase: null })).toEqual({
      text: 'manual: support-ticket-7',
    })
    expect(lotOrigin({ source: 'birthday', reference: null, purchase: null })).toEqual({ text: 'birthday' })
  })
})

describe('describeReturn', () => {
  it('says what came back in money and what happened to the points', () => {
    const back = {
      return_id: 'r-1',
      returned_at: '2026-12-04T20:00:00Z',
      refunded_amount: 2500,
      reversed_points: 10,
      debt_points: 0,
      restored_points: 20,
      not_restored_points: 0,
    }
    expect(describeReturn(back)).toBe('return r-1: refunded 25.00, 10 accrued points taken back, 20 redeemed points restored')
  })
})
