import { useEffect, useState } from 'react'

export type Route =
  | { screen: 'chains' }
  | { screen: 'chain'; chainId: string }
  | { screen: 'segments' }
  | { screen: 'campaigns' }
  | { screen: 'build'; chainId: string }
  | { screen: 'new-chain' }
  | { screen: 'segment-edit'; segmentId: string | null }
  | { screen: 'template-edit'; name: string; channel: string }
  | { screen: 'policies' }

/** Hash routes (`#/chains/reactivation`): the gateway serves one index.html, no server routing. */
export function parseRoute(hash: string): Route {
  const [screen, id, action, ...rest] = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  if (screen === 'chains' && id && action === 'edit') return { screen: 'build', chainId: id }
  if (screen === 'chains' && id) return { screen: 'chain', chainId: id }
  if (screen === 'new-chain') return { screen: 'new-chain' }
  if (screen === 'segments' && id === 'new') return { screen: 'segment-edit', segmentId: null }
  if (screen === 'segments' && id && action === 'edit') return { screen: 'segment-edit', segmentId: id }
  if (screen === 'templates' && id && action && rest[0] === 'edit') return { screen: 'template-edit', name: id, channel: action }
  if (screen === 'policies') return { screen: 'policies' }
  if (screen === 'segments') return { screen: 'segments' }
  if (screen === 'campaigns') return { screen: 'campaigns' }
  return { screen: 'chains' }
}

export function chainHref(chainId: string): string {
  return `#/chains/${encodeURIComponent(chainId)}`
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
