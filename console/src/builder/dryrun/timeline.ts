import type { components } from '../../api/schema'
import { count, when, words } from '../../common/format'
import type { Definition } from '../definition'

type Schemas = components['schemas']
export type DryRunIn = Schemas['DryRunIn']
export type DryRunOut = Schemas['DryRunOut']
type Message = Schemas['DryRunMessage']
type Grant = Schemas['DryRunGrant']

/** What the marketer assumes, as typed: times are UTC like everywhere in the console. */
export type Assumed = {
  customer: string
  startAt: string
  purchaseAt: string
  eventType: string
  eventStep: string
  eventAt: string
}

export const NOTHING_ASSUMED: Assumed = { customer: '', startAt: '', purchaseAt: '', eventType: '', eventStep: '', eventAt: '' }

/** A `datetime-local` value read as UTC; null when empty or not a time. */
export function utcInstant(local: string): string | null {
  const value = local.trim()
  if (!value) return null
  const instant = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`)
  return Number.isNaN(instant.getTime()) ? null : instant.toISOString()
}

/** The request for the draft on the canvas, or the field that keeps it from being asked. */
export function dryRunRequest(definition: Definition, assumed: Assumed): { request: DryRunIn } | { field: keyof Assumed; message: string } {
  const customer = assumed.customer.trim()
  if (!customer) return { field: 'customer', message: 'Name a customer (their id).' }
  const times: Partial<Record<keyof Assumed, string | null>> = {}
  for (const key of ['startAt', 'purchaseAt', 'eventAt'] as const) {
    times[key] = utcInstant(assumed[key])
    if (assumed[key].trim() && !times[key]) return { field: key, message: 'Not a time.' }
  }
  const type = assumed.eventType.trim()
  if (type && !times.eventAt) return { field: 'eventAt', message: 'Say when the event happens.' }
  const events = type ? [{ type, at: times.eventAt!, step: assumed.eventStep.trim() || null, payload: {} }] : []
  return {
    request: {
      customer_id: customer,
      definition,
      start_at: times.startAt ?? null,
      assume: { purchase_at: times.purchaseAt ?? null, events, trigger: {} },
    },
  }
}

const REASONS: Record<string, string> = {
  quiet_hours: 'quiet hours',
  daily_cap: 'the daily cap',
  cap: 'the daily cap',
  pause: 'the minimum pause between messages',
  no_consent: 'no consent',
  no_address: 'no address',
  no_template: 'no template on the channel',
  other_channel_available: 'another channel of the cascade reaches them',
  contact_unknown: 'the customer has no contact yet',
  no_channel: 'no channel of the cascade reaches them',
}

export function reasonWords(reason: string | null | undefined): string {
  return reason ? (REASONS[reason] ?? words(reason)) : 'no reason given'
}

function deferrals(message: Message): string {
  return message.deferrals.map((d) => `deferred until ${when(d.until)} because of ${reasonWords(d.reason)}`).join(', then ')
}

export type MessageLine = { template: string; channel: string; decision: Message['decision']; text: string }

/** One message as the marketer reads it: where it goes and what the policy decides. */
export function messageLine(message: Message): MessageLine {
  const held = deferrals(message)
  const channel = message.channel ?? message.channels.join(' → ')
  const skipped = message.skipped.map((s) => `${s.channel}: ${reasonWords(s.reason)}`).join('; ')
  let text: string
  switch (message.decision) {
    case 'sent':
      text = `sent ${when(message.sent_at)}${held ? ` (${held})` : ''}`
      break
    case 'deferred':
      text = `${held || 'deferred'}; still held back when the chain stopped waiting for it`
      break
    case 'skipped':
      text = `skipped: ${skipped || reasonWords(message.reason)}`
      break
    case 'dropped':
      text = `dropped: ${reasonWords(message.reason ?? 'daily_cap')}`
      break
    case 'cancelled':
      text = `cancelled: the chain ended while it was held back${held ? ` (${held})` : ''}`
      break
  }
  return { template: message.template, channel, decision: message.decision, text }
}

export function grantLine(grant: Grant): string {
  return `${count(grant.amount)} points from ${when(grant.active_from)} for ${count(grant.lifetime_days)} days, expiring ${when(grant.expires_at)}`
}

export type TimelineEntry = {
  at: string
  time: string
  title: string
  messages: MessageLine[]
  grant: string | null
  next: string | null
}

/** The dry run's answer as a timeline: each step at its time, then the exit. */
export function timelineOf(run: DryRunOut): { entries: TimelineEntry[]; exit: { at: string; time: string; reason: string } } {
  const entries = run.steps.map((step) => ({
    at: step.at,
    time: when(step.at),
    title: `${step.step_id} · ${words(step.kind)}${step.visit > 1 ? ` (visit ${step.visit})` : ''}`,
    messages: step.messages.map(messageLine),
    grant: step.grant ? grantLine(step.grant) : null,
    next: step.next,
  }))
  return { entries, exit: { at: run.exited_at, time: when(run.exited_at), reason: words(run.exit_reason) } }
}
