import { api, unwrap } from '../api/client'
import type { Chain, ChainAnalytics, ChainVersion } from '../api/types'

export function listChains(): Promise<Chain[]> {
  return unwrap(api.GET('/v1/chains'))
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
