import { ApiError } from '../api/client'
import type { components } from '../api/schema'
import type { Channel } from '../builder/definition'

export type CampaignCreate = components['schemas']['CampaignCreate']
export type Action = 'start' | 'pause' | 'resume'

/** The new campaign as the form holds it: a grant and a message are each optional. */
export type CampaignForm = {
  name: string
  segment: string
  grant: boolean
  amount: number | null
  lifetimeDays: number | null
  message: boolean
  template: string
  channels: Channel[]
  holdoutShare: number | null
  ratePerSecond: number | null
  batchSize: number | null
}

export const NEW_CAMPAIGN: CampaignForm = {
  name: '',
  segment: '',
  grant: true,
  amount: 100,
  lifetimeDays: 14,
  message: false,
  template: '',
  channels: ['email'],
  holdoutShare: 0.1,
  ratePerSecond: 100,
  batchSize: null,
}

/**
 * The body for `POST /v1/campaigns`. Empty numbers go as they are (null) so the API's 422 names
 * the field, instead of the form guessing a value the marketer did not choose.
 */
export function campaignBody(form: CampaignForm): CampaignCreate {
  return {
    name: form.name.trim(),
    segment: form.segment.trim(),
    grant: form.grant ? { amount: form.amount as number, lifetime_days: form.lifetimeDays as number } : null,
    message: form.message ? { template: form.template, channels: form.channels, sms_only_if_no_other_channel: false, variables: {} } : null,
    holdout_share: form.holdoutShare as number,
    rate_per_second: form.ratePerSecond as number,
    batch_size: form.batchSize,
    attribution_window_days: 14,
  }
}

/**
 * A refused campaign's problems by the form's field (`grant.amount`, `segment`, …); `''` holds
 * the ones about the whole campaign. `unknown_segment` carries no path: it is the segment's.
 */
export function campaignProblems(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return { '': String(error) }
  if (error.code === 'unknown_segment') return { segment: error.message }
  const problems: Record<string, string> = {}
  for (const e of error.errors) {
    const field = (e.field ?? e.path ?? '').replace(/^body\.?/, '')
    problems[field] = problems[field] ? `${problems[field]}; ${e.message ?? ''}` : (e.message ?? '')
  }
  if (!error.errors.length) problems[''] = `${error.code}: ${error.message}`
  return problems
}

/** What the marketer may do with a campaign in this state (start also re-runs an ended one). */
export function actionsFor(status: string): Action[] {
  switch (status) {
    case 'running':
      return ['pause']
    case 'paused':
      return ['resume']
    default:
      return ['start']
  }
}
