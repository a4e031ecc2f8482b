import { describe, expect, it } from 'vitest'
import { push, redo, start, undo } from './history'

describe('undo and redo', () => {
  it('walks back and forth through the edits', () => {
    let h = push(push(start('a'), 'b'), 'c')
    h = undo(h)
    expect(h.present).toBe('b')
    h = undo(h)
    expect(h.present).toBe('a')
    expect(undo(h)).toBe(h)
    h = redo(h)
    expect(h.present).toBe('b')
    expect(h.future).toEqual(['c'])
  })

  it('drops what was undone when a new edit is made', () => {
    const h = push(undo(push(start(1), 2)), 3)
    expect(h.present).toBe(3)
    expect(h.future).toEqual([])
    expect(redo(h)).toBe(h)
  })

  it('keeps at most two hundred states', () => {
    let h = start(0)
    for (let i = 1; i <= 250; i += 1) h = push(h, i)
    expect(h.past).toHaveLength(200)
    expect(h.past[0]).toBe(50)
  })
})
