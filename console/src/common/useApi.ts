import { useCallback, useEffect, useState } from 'react'
import { ApiError } from '../api/client'
import { useSessionEnded } from '../session/context'

export type Loaded<T> =
  | { state: 'loading' }
  | { state: 'failed'; message: string }
  | { state: 'ready'; data: T }

/** Loads `fetcher` on mount and every `refreshMs` (live counts); a 401 ends the session. */
export function useApi<T>(
  fetcher: () => Promise<T>,
  deps: readonly unknown[],
  refreshMs?: number,
): Loaded<T> & { reload: () => void } {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' })
  const [tick, setTick] = useState(0)
  const ended = useSessionEnded()
  const reload = useCallback(() => setTick((t) => t + 1), [])

  useEffect(() => {
    let live = true
    fetcher().then(
      (data) => live && setLoaded({ state: 'ready', data }),
      (error: unknown) => {
        if (!live) return
        if (error instanceof ApiError && error.status === 401) ended()
        else setLoaded({ state: 'failed', message: String((error as Error).message ?? error) })
      },
    )
    return () => {
      live = false
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick])

  useEffect(() => {
    if (!refreshMs) return
    const timer = window.setInterval(reload, refreshMs)
    return () => window.clearInterval(timer)
  }, [refreshMs, reload])

  return { ...loaded, reload }
}
