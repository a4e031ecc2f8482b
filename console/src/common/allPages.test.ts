import { describe, expect, it } from 'vitest'
import { allPages } from './allPages'
import type { Page } from './usePages'

describe('allPages', () => {
  it('follows next_cursor to the last page, asking with each cursor once', async () => {
    const pages: Record<string, Page<number>> = {
      first: { items: [1, 2], next_cursor: 'b' },
      b: { items: [3, 4], next_cursor: 'c' },
      c: { items: [5], next_cursor: null },
    }
    const asked: (string | undefined)[] = []
    const rows = await allPages(async (cursor?: string) => {
      asked.push(cursor)
      const page = pages[cursor ?? 'first']
      if (!page) throw new Error(`no page ${cursor}`)
      return page
    })
    expect(rows).toEqual([1, 2, 3, 4, 5])
    expect(asked).toEqual([undefined, 'b', 'c'])
  })
})
