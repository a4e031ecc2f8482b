import { describe, expect, it } from 'vitest'
import { progressBars } from './campaigns'

describe('progressBars', () => {
  it('measures each outcome against the customers processed', () => {
    const bars = progressBars({ processed: 10, granted: 10, handed_over: 7, refused: 1 })
    expect(bars.map((b) => [b.label, b.value, b.max])).toEqual([
      ['Points granted', 10, 10],
      ['Messages handed over', 7, 10],
      ['Refused', 1, 10],
    ])
  })

  it('never divides by zero before the first batch', () => {
    expect(progressBars({ processed: 0, granted: 0, handed_over: 0, refused: 0 })[0]!.max).toBe(1)
  })
})
