import { api, unwrap } from '../api/client'
import type { Campaign, CampaignProgress } from '../api/types'

export function listCampaigns(): Promise<Campaign[]> {
  return unwrap(api.GET('/v1/campaigns'))
}

export type Bar = { label: string; value: number; max: number }

/** Granted, sent and failed, each out of the customers the campaign has reached so far. */
export function progressBars(progress: CampaignProgress): Bar[] {
  const max = Math.max(progress.processed, progress.granted, progress.sent + progress.failed, 1)
  return [
    { label: 'Points granted', value: progress.granted, max },
    { label: 'Messages sent', value: progress.sent, max },
    { label: 'Failed', value: progress.failed, max },
  ]
}
