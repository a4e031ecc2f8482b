import { api, unwrap } from '../api/client'
import type { CustomerView, Lot, Lots, Message, Messages, Purchase, Purchases } from '../api/types'
import { money, words } from '../common/format'
import { chainHref } from '../common/route'

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

/** The next page of a customer's purchases (with their returns) after the view's first one. */
export function customerPurchases(customerId: string, cursor: string): Promise<Purchases> {
  return unwrap(
    api.GET('/v1/customers/{customer_id}/purchases', {
      params: { path: { customer_id: customerId }, query: { cursor, limit: 20 } },
    }),
  )
}

/** The next page of a customer's lots after the view's first one. */
export function customerLots(customerId: string, cursor: string): Promise<Lots> {
  return unwrap(
    api.GET('/v1/customers/{customer_id}/lots', {
      params: { path: { customer_id: customerId }, query: { cursor, limit: 20 } },
    }),
  )
}

export type Origin = { text: string; href?: string }

/** Where a lot's points came from, as a marketer reads it, with a link to the chain when one
 * granted them (`chain:{id}:v{version}:{step}` is the reference a chain step grants under). */
export function lotOrigin(lot: Pick<Lot, 'source' | 'reference' | 'purchase'>): Origin {
  if (lot.purchase) return { text: `purchase ${lot.purchase.txid} at ${lot.purchase.store_id}` }
  const chain = /^chain:(.+):v(\d+):([^:]+)$/.exec(lot.reference ?? '')
  if (chain) {
    const [, chainId = "", version, step = ""] = chain
    return { text: `chain ${chainId} v${version}, step ${words(step)}`, href: chainHref(chainId, Number(version)) }
  }
  const campaign = /^campaign:(.+)$/.exec(lot.reference ?? '')
  if (campaign) return { text: `campaign ${campaign[1]}` }
  return { text: lot.reference ? `${words(lot.source)}: ${lot.reference}` : words(lot.source) }
}

/** One return as a line: what came back in money and what happened to the points. */
export function describeReturn(r: Purchase['returns'][number]): string {
  const parts = [`refunded ${money(r.refunded_amount)}`]
  if (r.reversed_points) parts.push(`${r.reversed_points} accrued points taken back`)
  if (r.debt_points) parts.push(`${r.debt_points} of them already spent (debt)`)
  if (r.restored_points) parts.push(`${r.restored_points} redeemed points restored`)
  if (r.not_restored_points) parts.push(`${r.not_restored_points} not restored (lot expired)`)
  return `return ${r.return_id}: ${parts.join(', ')}`
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
