import { describe, expect, it } from 'vitest'
import { writable } from './api'

describe('a policy in a form', () => {
  it('keeps what the form edits, times as hours and minutes', () => {
    const read = { scope: 'program', daily_cap: 2, min_pause_seconds: 3600, quiet_start: '21:00:00', quiet_end: '09:30:00', over_cap: 'drop' }
    expect(writable(read)).toEqual({ daily_cap: 2, min_pause_seconds: 3600, quiet_start: '21:00', quiet_end: '09:30', over_cap: 'drop' })
  })
})
