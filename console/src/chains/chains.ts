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
