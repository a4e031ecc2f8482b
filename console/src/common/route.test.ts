import { describe, expect, it } from 'vitest'
import { chainHref, parseRoute } from './route'

describe('parseRoute', () => {
  it('opens the chains list by default', () => {
    expect(parseRoute('')).toEqual({ screen: 'chains' })
    expect(parseRoute('#/nowhere')).toEqual({ screen: 'chains' })
  })

  it('reads a chain id back from its link', () => {
    expect(parseRoute(chainHref('re activation'))).toEqual({
      screen: 'chain',
      chainId: 're activation',
    })
  })

  it('knows the segments and campaigns screens', () => {
    expect(parseRoute('#/segments').screen).toBe('segments')
    expect(parseRoute('#/campaigns').screen).toBe('campaigns')
  })
})
