import type { Page } from './usePages'

/** The size asked for when a screen needs a whole list: the largest page the API gives. */
export const WHOLE_LIST_PAGE = 200

/** Every row of a cursor-paged list, following `next_cursor` until the last page. */
export async function allPages<T>(fetchPage: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const rows: T[] = []
  let cursor: string | undefined
  do {
    const page = await fetchPage(cursor)
    rows.push(...page.items)
    cursor = page.next_cursor ?? undefined
  } while (cursor)
  return rows
}
