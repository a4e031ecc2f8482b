import { api, unwrap } from '../api/client'
import type { CustomerView, Message, Messages } from '../api/types'
import { words } from '../common/format'

export function customerView(customerId: string): Promise<CustomerView> {
  return unwrap(
    api.GET('/v1/customers/{customer_id}/view', { params: { path: { customer_id: customerId } } }),
  )
}

/** The next page of a customer's messages after the view's first one. */
export function customerMessages(customerId: string, cursor: string): Promise<Messages> {
  return unwrap(
    api.GET('/v1/customers/{customer_id}/messages', {
      params: { path: { customer_id: customerId }, query: { cursor, limit: 20 } },
    }),
  )
}

const VERBS: Record<string, string> = { send: 'sent', defer: 'deferred', drop: 'skipped' }

/** A time in the customer's own zone, since caps and quiet hours are kept in local time. */
export function localTime(iso: string, timeZone: string): string {
  const shown = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(iso))
  return `${shown} local`
}

/** One policy decision as a marketer reads it: "deferred: daily cap, until 5 Dec, 09:00 local". */
export function describeDecision(
  decision: Message['decisions'][number],
  timeZone: string,
): string {
  const verb = VERBS[decision.action] ?? decision.action
  const until = decision.until ? `, until ${localTime(decision.until, timeZone)}` : ''
  return decision.reason === 'allowed' ? verb : `${verb}: ${words(decision.reason)}${until}`
}

export type LotLine = { amount: number; expiresAt: string; daysLeft: number }

/** The points that will expire, soonest first, with the days left from `now`. */
export function expiryTimeline(
  expiring: { amount: number; expires_at: string }[],
  now: Date = new Date(),
): LotLine[] {
  const day = 24 * 3600 * 1000
  return [...expiring]
    .sort((a, b) => a.expires_at.localeCompare(b.expires_at))
    .map((lot) => ({
      amount: lot.amount,
      expiresAt: lot.expires_at,
      daysLeft: Math.max(0, Math.ceil((new Date(lot.expires_at).getTime() - now.getTime()) / day)),
    }))
}
