import type { ReactNode } from 'react'
import type { Loaded } from './useApi'

/** The loading and error states every screen shows the same way. */
export function Status<T>({
  loaded,
  children,
}: {
  loaded: Loaded<T>
  children: (data: T) => ReactNode
}) {
  if (loaded.state === 'loading') return <p role="status">Loading…</p>
  if (loaded.state === 'failed') return <p role="alert">Could not load: {loaded.message}</p>
  return <>{children(loaded.data)}</>
}
