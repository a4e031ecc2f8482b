import { describe, expect, it } from 'vitest'
import { emptyDefinition } from '../definition'
import { dryRunRequest, messageLine, NOTHING_ASSUMED, timelineOf, utcInstant, type DryRunOut } from './timeline'

const run: DryRunOut = {
  chain_id: 'winback',
  version: null,
  customer_id: 'c1',
  holdout: false,
  started_at: '2026-03-10T23:00:00Z',
  exit_reason: 'purchase',
  exited_at: '2026-03-12T23:00:00Z',
  steps: [
    {
      step_id: 'grant_sleeping', kind: 'grant_bonus', visit: 1, at: '2026-03-10T23:00:00Z', left_at: '2026-03-10T23:00:00Z', next: 'offer', messages: [],
      grant: { amount: 500, lifetime_days: 7, active_from: '2026-03-10T23:00:00Z', expires_at: '2026-03-17T23:00:00Z' },
    },
    {
      step_id: 'offer', kind: 'send', visit: 1, at: '2026-03-10T23:00:00Z', left_at: '2026-03-11T09:00:00Z', next: 'wait_reminder',
      messages: [
        {
          template: 'reactivation_offer', channels: ['sms'], asked_at: '2026-03-10T23:00:00Z', decision: 'skipped', reason: 'no_channel',
          deferrals: [], skipped: [{ channel: 'sms', reason: 'no_consent' }],
        },
        {
          template: 'reactivation_offer', channels: ['email'], asked_at: '2026-03-10T23:00:00Z', decision: 'sent', reason: 'allowed',
          channel: 'email', sent_at: '2026-03-11T09:00:00Z', deferrals: [{ reason: 'quiet_hours', until: '2026-03-11T09:00:00Z' }], skipped: [],
        },
      ],
    },
    { step_id: 'wait_reminder', kind: 'wait', visit: 1, at: '2026-03-11T09:00:00Z', left_at: '2026-03-12T23:00:00Z', next: null, messages: [] },
  ],
}

describe('the dry run as a timeline', () => {
  it('puts each step at its time, its grant and messages in words, then the exit', () => {
    const { entries, exit } = timelineOf(run)
    expect(entries.map((e) => e.title)).toEqual(['grant_sleeping · grant bonus', 'offer · send', 'wait_reminder · wait'])
    expect(entries[0]!.time).toBe('10 Mar 2026, 23:00 UTC')
    expect(entries[0]!.grant).toBe('500 points from 10 Mar 2026, 23:00 UTC for 7 days, expiring 17 Mar 2026, 23:00 UTC')
    expect(entries[1]!.messages).toEqual([
      { template: 'reactivation_offer', channel: 'sms', decision: 'skipped', text: 'skipped: sms: no consent' },
      {
        template: 'reactivation_offer', channel: 'email', decision: 'sent',
        text: 'sent 11 Mar 2026, 09:00 UTC (deferred until 11 Mar 2026, 09:00 UTC because of quiet hours)',
      },
    ])
    expect(exit).toEqual({ at: '2026-03-12T23:00:00Z', time: '12 Mar 2026, 23:00 UTC', reason: 'purchase' })
  })

  it('says why a message is held back, dropped or cancelled', () => {
    const base = run.steps[1]!.messages[1]!
    expect(messageLine({ ...base, decision: 'deferred', channel: null, sent_at: null, deferrals: [{ reason: 'daily_cap', until: '2026-03-12T00:00:00Z' }] }).text)
      .toBe('deferred until 12 Mar 2026, 00:00 UTC because of the daily cap; still held back when the chain stopped waiting for it')
    expect(messageLine({ ...base, decision: 'dropped', reason: 'daily_cap', deferrals: [] }).text).toBe('dropped: the daily cap')
    expect(messageLine({ ...base, decision: 'cancelled', channel: null, channels: ['sms', 'email'], deferrals: [] })).toMatchObject({
      channel: 'sms → email', text: 'cancelled: the chain ended while it was held back',
    })
    expect(messageLine({ ...base, decision: 'skipped', reason: 'contact_unknown', skipped: [] }).text).toBe('skipped: the customer has no contact yet')
  })
})

describe('the dry run request', () => {
  const draft = emptyDefinition('winback', 'Winback')

  it('asks for the draft on the canvas with the assumed purchase and event, times in UTC', () => {
    const asked = dryRunRequest(draft, {
      ...NOTHING_ASSUMED, customer: ' c1 ', purchaseAt: '2026-03-12T23:00', eventType: 'message.clicked', eventStep: 'offer', eventAt: '2026-03-11T10:00',
    })
    expect(asked).toEqual({
      request: {
        customer_id: 'c1', definition: draft, start_at: null,
        assume: {
          purchase_at: '2026-03-12T23:00:00.000Z', trigger: {},
          events: [{ type: 'message.clicked', step: 'offer', at: '2026-03-11T10:00:00.000Z', payload: {} }],
        },
      },
    })
  })

  it('names the field that keeps it from being asked', () => {
    expect(dryRunRequest(draft, NOTHING_ASSUMED)).toMatchObject({ field: 'customer' })
    expect(dryRunRequest(draft, { ...NOTHING_ASSUMED, customer: 'c1', eventType: 'purchase' })).toMatchObject({ field: 'eventAt' })
    expect(dryRunRequest(draft, { ...NOTHING_ASSUMED, customer: 'c1', purchaseAt: 'soon' })).toMatchObject({ field: 'purchaseAt' })
    expect(utcInstant('')).toBeNull()
    expect(utcInstant('2026-03-12T23:00:00+01:00')).toBe('2026-03-12T22:00:00.000Z')
  })
})
