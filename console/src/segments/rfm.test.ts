import { describe, expect, it } from 'vitest'
import { GRID, NAMES, recencyCounts, rfmCells } from './rfm'

describe('rfmCells', () => {
  const cells = rfmCells({ champions: 7, lost: 3 })

  it('covers the 5 × 5 grid with the eleven named segments', () => {
    expect(cells).toHaveLength(25)
    expect(new Set(Object.values(GRID).flat())).toEqual(new Set(Object.keys(NAMES)))
  })

  it('puts champions at high recency and high frequency-monetary', () => {
    expect(cells.find((c) => c.recency === 5 && c.fm === 5)).toMatchObject({
      segment: 'champions',
      customers: 7,
    })
    expect(cells.find((c) => c.recency === 1 && c.fm === 1)).toMatchObject({ segment: 'lost', customers: 3 })
    expect(cells.find((c) => c.recency === 3 && c.fm === 3)?.customers).toBe(0)
  })
})

describe('recencyCounts', () => {
  it('orders the buckets from active to lost and reads their sizes', () => {
    const counts = recencyCounts([
      { id: 'recency.lost', kind: 'recency', name: 'Lost', description: null, member_count: 9 },
      { id: 'recency.active', kind: 'recency', name: 'Active', description: null, member_count: 2 },
    ])
    expect(counts.map((c) => c.customers)).toEqual([2, 0, 0, 0, 9])
    expect(counts[0]!.label).toMatch(/^Active/)
  })
})
