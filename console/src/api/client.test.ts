import { describe, expect, it } from 'vitest'
import { csrfToken } from './client'

describe('csrfToken', () => {
  it('reads the double-submit token among other cookies', () => {
    expect(csrfToken('theme=dark; rp_csrf=abc%2Bdef=; other=1')).toBe('abc+def=')
  })

  it('is absent before sign-in', () => {
    expect(csrfToken('theme=dark')).toBeUndefined()
    expect(csrfToken('')).toBeUndefined()
  })
})
