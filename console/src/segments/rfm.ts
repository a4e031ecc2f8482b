import type { Segment } from '../api/types'

// The segments service's grid (segments/domain/rfm.py): recency score by the floor of the
// mean of the frequency and monetary scores gives a customer's named segment.
export const GRID: Record<number, readonly string[]> = {
  5: ['new', 'potential_loyalists', 'potential_loyalists', 'champions', 'champions'],
  4: ['promising', 'potential_loyalists', 'potential_loyalists', 'loyal', 'champions'],
  3: ['about_to_sleep', 'about_to_sleep', 'need_attention', 'loyal', 'loyal'],
  2: ['hibernating', 'hibernating', 'at_risk', 'at_risk', 'cannot_lose'],
  1: ['lost', 'lost', 'at_risk', 'cannot_lose', 'cannot_lose'],
}

export const NAMES: Record<string, string> = {
  champions: 'Champions',
  loyal: 'Loyal',
  potential_loyalists: 'Potential loyalists',
  new: 'New customers',
  promising: 'Promising',
  need_attention: 'Need attention',
  about_to_sleep: 'About to sleep',
  at_risk: 'At risk',
  cannot_lose: 'Cannot lose them',
  hibernating: 'Hibernating',
  lost: 'Lost',
}

export type Cell = { recency: number; fm: number; segment: string; customers: number }

/** The 25 cells of the 5 × 5 grid, each with the customer count of the segment it names. */
export function rfmCells(counts: Record<string, number>): Cell[] {
  const cells: Cell[] = []
  for (let recency = 1; recency <= 5; recency++) {
    GRID[recency]!.forEach((segment, index) => {
      cells.push({ recency, fm: index + 1, segment, customers: counts[segment] ?? 0 })
    })
  }
  return cells
}

// Days since the last purchase; the edges are the segments service's settings.
export const RECENCY_BUCKETS = [
  { id: 'recency.active', label: 'Active' },
  { id: 'recency.cooling', label: 'Cooling' },
  { id: 'recency.sleeping', label: 'Sleeping' },
  { id: 'recency.at_risk', label: 'At risk' },
  { id: 'recency.lost', label: 'Lost' },
] as const

export function recencyCounts(segments: Segment[]): { label: string; customers: number }[] {
  return RECENCY_BUCKETS.map(({ id, label }) => {
    const found = segments.find((s) => s.id === id)
    return { label: found?.name ?? label, customers: found?.member_count ?? 0 }
  })
}
