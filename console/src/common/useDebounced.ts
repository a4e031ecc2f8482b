import { useEffect, useState } from 'react'

// Long enough that typing a word sends one call, short enough to feel immediate.
export const ASK_DELAY_MS = 400

export type Answer<T> = { state: 'idle' } | { state: 'waiting' } | { state: 'answered'; answer: T } | { state: 'failed'; message: string }

/**
 * The answer to `ask`, asked again a moment after `deps` last changed; the call in flight is
 * cancelled when they change again, so a late answer never replaces a newer one. No `ask`: idle.
 */
export function useDebouncedAnswer<T>(ask: ((signal: AbortSignal) => Promise<T>) | null, deps: readonly unknown[]): Answer<T> {
  const [answer, setAnswer] = useState<Answer<T>>({ state: ask ? 'waiting' : 'idle' })
  useEffect(() => {
    if (!ask) return
    const aborted = new AbortController()
    const timer = window.setTimeout(() => {
      ask(aborted.signal).then(
        (value) => !aborted.signal.aborted && setAnswer({ state: 'answered', answer: value }),
        (error: unknown) => !aborted.signal.aborted && setAnswer({ state: 'failed', message: String(error) }),
      )
    }, ASK_DELAY_MS)
    return () => {
      window.clearTimeout(timer)
      aborted.abort()
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps)
  return answer
}
