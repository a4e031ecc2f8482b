import { useEffect, useState } from 'react'

export type Route =
  | { screen: 'chains' }
  | { screen: 'chain'; chainId: string; version?: number }
  | { screen: 'results'; chainId: string }
  | { screen: 'segments' }
  | { screen: 'campaigns' }
  | { screen: 'customers' }
  | { screen: 'customer'; customerId: string }
  | { screen: 'templates' }
  | { screen: 'template'; name: string; channel: string }
  | { screen: 'build'; chainId: string }
  | { screen: 'new-chain' }
  | { screen: 'segment-edit'; segmentId: string | null }
  | { screen: 'template-edit'; name: string; channel: string }
  | { screen: 'policies' }

function chainRoute(chainId: string, rest: string[]): Route {
  if (rest[0] === 'results') return { screen: 'results', chainId }
  if (rest[0] === 'edit') return { screen: 'build', chainId }
  const version = rest[0] === 'versions' ? Number(rest[1]) : NaN
  return Number.isInteger(version) && version > 0
    ? { screen: 'chain', chainId, version }
    : { screen: 'chain', chainId }
}

/** Hash routes (`#/chains/reactivation`): the gateway serves one index.html, no server routing. */
export function parseRoute(hash: string): Route {
  const [screen, id, ...rest] = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  if (screen === 'chains' && id) return chainRoute(id, rest)
  if (screen === 'new-chain') return { screen: 'new-chain' }
  if (screen === 'segments' && id === 'new') return { screen: 'segment-edit', segmentId: null }
  if (screen === 'segments' && id && rest[0] === 'edit') return { screen: 'segment-edit', segmentId: id }
  if (screen === 'templates' && id && rest[0] && rest[1] === 'edit') return { screen: 'template-edit', name: id, channel: rest[0] }
  if (screen === 'policies') return { screen: 'policies' }
  if (screen === 'segments') return { screen: 'segments' }
  if (screen === 'campaigns') return { screen: 'campaigns' }
  if (screen === 'customers') return id ? { screen: 'customer', customerId: id } : { screen: 'customers' }
  if (screen === 'templates' && id && rest[0]) return { screen: 'template', name: id, channel: rest[0] }
  if (screen === 'templates') return { screen: 'templates' }
  return { screen: 'chains' }
}

export function chainHref(chainId: string, version?: number): string {
  const base = `#/chains/${encodeURIComponent(chainId)}`
  return version ? `${base}/versions/${version}` : base
}

export function resultsHref(chainId: string): string {
  return `#/chains/${encodeURIComponent(chainId)}/results`
}

export function customerHref(customerId: string): string {
  return `#/customers/${encodeURIComponent(customerId)}`
}

export function templateHref(name: string, channel: string): string {
  return `#/templates/${encodeURIComponent(name)}/${encodeURIComponent(channel)}`
}

export function builderHref(chainId: string): string {
  return `${chainHref(chainId)}/edit`
}

export function segmentEditHref(segmentId: string): string {
  return `#/segments/${encodeURIComponent(segmentId)}/edit`
}

export function templateEditHref(name: string, channel: string): string {
  return `#/templates/${encodeURIComponent(name)}/${encodeURIComponent(channel)}/edit`
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash))
  useEffect(() => {
    const follow = () => setRoute(parseRoute(window.location.hash))
    window.addEventListener('hashchange', follow)
    return () => window.removeEventListener('hashchange', follow)
  }, [])
  return route
}
