import { api, unwrap } from '../api/client'
import { allPages, WHOLE_LIST_PAGE } from '../common/allPages'
import type { Campaign, CampaignProgress } from '../api/types'
import type { Action, CampaignCreate } from './form'

export function listCampaigns(): Promise<Campaign[]> {
  return allPages((cursor) =>
    unwrap(api.GET('/v1/campaigns', { params: { query: { limit: WHOLE_LIST_PAGE, cursor } } })),
  )
}

export type Bar = { label: string; value: number; max: number }

/** Granted, handed to the notifier and refused, each out of the customers reached so far. */
export function progressBars(progress: CampaignProgress): Bar[] {
  const handled = progress.handed_over + progress.refused
  const max = Math.max(progress.processed, progress.granted, handled, 1)
  return [
    { label: 'Points granted', value: progress.granted, max },
    { label: 'Messages handed over', value: progress.handed_over, max },
    { label: 'Refused', value: progress.refused, max },
  ]
}

export function createCampaign(body: CampaignCreate): Promise<Campaign> {
  return unwrap(api.POST('/v1/campaigns', { body }))
}

/** start (or re-run), pause or resume; 409 `campaign_state_conflict` when its state forbids it. */
export function actOn(campaignId: string, action: Action): Promise<Campaign> {
  return unwrap(api.POST('/v1/campaigns/{campaign_id}/{action}', { params: { path: { campaign_id: campaignId, action } } }))
}
