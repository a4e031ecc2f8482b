import { describe, expect, it } from 'vitest'
import { builderHref, chainHref, parseRoute, segmentEditHref, templateEditHref } from './route'

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
    expect(parseRoute('#/policies').screen).toBe('policies')
  })

  it('opens the builder on a chain and the new chain screen', () => {
    expect(parseRoute(builderHref('win back'))).toEqual({ screen: 'build', chainId: 'win back' })
    expect(parseRoute('#/new-chain')).toEqual({ screen: 'new-chain' })
  })

  it('opens the segment and template editors', () => {
    expect(parseRoute('#/segments/new')).toEqual({ screen: 'segment-edit', segmentId: null })
    expect(parseRoute(segmentEditHref('rule.shoes'))).toEqual({ screen: 'segment-edit', segmentId: 'rule.shoes' })
    expect(parseRoute(templateEditHref('welcome', 'sms'))).toEqual({ screen: 'template-edit', name: 'welcome', channel: 'sms' })
  })
})
