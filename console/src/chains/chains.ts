import { api, unwrap } from '../api/client'
import { allPages, WHOLE_LIST_PAGE } from '../common/allPages'
import type { Chain, ChainAnalytics, ChainVersion, StepReport } from '../api/types'

export function listChains(): Promise<Chain[]> {
  return allPages((cursor) =>
    unwrap(api.GET('/v1/chains', { params: { query: { limit: WHOLE_LIST_PAGE, cursor } } })),
  )
}

export function getChain(chainId: string): Promise<Chain> {
  return unwrap(api.GET('/v1/chains/{chain_id}', { params: { path: { chain_id: chainId } } }))
}

export function getVersion(chainId: string, version: number): Promise<ChainVersion> {
  return unwrap(
    api.GET('/v1/chains/{chain_id}/versions/{number}', {
      params: { path: { chain_id: chainId, number: version } },
    }),
  )
}

export function listVersions(chainId: string): Promise<ChainVersion[]> {
  return allPages((cursor) =>
    unwrap(
      api.GET('/v1/chains/{chain_id}/versions', {
        params: { path: { chain_id: chainId }, query: { limit: WHOLE_LIST_PAGE, cursor } },
      }),
    ),
  )
}

/** The funnel per version and step, and the daily series of the last `days` days. */
export function stepReport(chainId: string, days = 30): Promise<StepReport> {
  return unwrap(
    api.GET('/v1/analytics/chains/{chain_id}/steps', {
      params: { path: { chain_id: chainId }, query: { days } },
    }),
  )
}

export function chainAnalytics(chainId: string): Promise<ChainAnalytics> {
  return unwrap(
    api.GET('/v1/analytics/chains/{chain_id}', { params: { path: { chain_id: chainId } } }),
  )
}

export type ChainAction = 'pause' | 'resume' | 'archive'

/** A write: the client adds the session's X-CSRF-Token header. */
export function chainAction(chainId: string, action: ChainAction): Promise<Chain> {
  return unwrap(
    api.POST('/v1/chains/{chain_id}/{action}', {
      params: { path: { chain_id: chainId, action } },
    }),
  )
}

/** What a marketer may do with a chain in its status. */
export function actionsFor(status: string): ChainAction[] {
  if (status === 'active') return ['pause', 'archive']
  if (status === 'paused') return ['resume', 'archive']
  if (status === 'draft') return ['archive']
  return []
}
