import { describe, expect, it } from 'vitest'
import { progressBars } from './campaigns'

describe('progressBars', () => {
  it('measures each outcome against the customers processed', () => {
    const bars = progressBars({ processed: 10, granted: 10, sent: 7, failed: 1 })
    expect(bars.map((b) => [b.label, b.value, b.max])).toEqual([
      ['Points granted', 10, 10],
      ['Messages sent', 7, 10],
      ['Failed', 1, 10],
    ])
  })

  it('never divides by zero before the first batch', () => {
    expect(progressBars({ processed: 0, granted: 0, sent: 0, failed: 0 })[0]!.max).toBe(1)
  })
})
