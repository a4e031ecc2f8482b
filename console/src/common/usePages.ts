import { useState } from 'react'

export type Page<T> = { items: T[]; next_cursor?: string | null }

/** A cursor-paged list after its first page: every row so far, and `next` while there is more. */
export function usePages<T>(first: Page<T>, fetchAfter: (cursor: string) => Promise<Page<T>>) {
  const [more, setMore] = useState<T[]>([])
  const [cursor, setCursor] = useState(first.next_cursor ?? null)
  async function next(after: string) {
    const page = await fetchAfter(after)
    setMore((rows) => [...rows, ...page.items])
    setCursor(page.next_cursor ?? null)
  }
  return { rows: [...first.items, ...more], next: cursor ? () => next(cursor) : null }
}
