import { useEffect, useState } from 'react'

export type Route =
  | { screen: 'chains' }
  | { screen: 'chain'; chainId: string }
  | { screen: 'segments' }
  | { screen: 'campaigns' }
  | { screen: 'build'; chainId: string }
  | { screen: 'new-chain' }

/** Hash routes (`#/chains/reactivation`): the gateway serves one index.html, no server routing. */
export function parseRoute(hash: string): Route {
  const [screen, id, action] = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  if (screen === 'chains' && id && action === 'edit') return { screen: 'build', chainId: id }
  if (screen === 'chains' && id) return { screen: 'chain', chainId: id }
  if (screen === 'new-chain') return { screen: 'new-chain' }
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

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash))
  useEffect(() => {
    const follow = () => setRoute(parseRoute(window.location.hash))
    window.addEventListener('hashchange', follow)
    return () => window.removeEventListener('hashchange', follow)
  }, [])
  return route
}
