import { api, unwrap } from '../api/client'
import type { Campaign, CampaignProgress } from '../api/types'

export function listCampaigns(): Promise<Campaign[]> {
  return unwrap(api.GET('/v1/campaigns'))
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
