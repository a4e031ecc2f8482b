import { describe, expect, it } from 'vitest'
import { builderHref, chainHref, customerHref, parseRoute, resultsHref, segmentEditHref, templateEditHref, templateHref } from './route'

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

describe('the read-only screens of part 1', () => {
  it('opens a chain at a chosen version and its results', () => {
    expect(parseRoute(chainHref('reactivation', 3))).toEqual({
      screen: 'chain',
      chainId: 'reactivation',
      version: 3,
    })
    expect(parseRoute(chainHref('reactivation') + '/versions/x')).toEqual({
      screen: 'chain',
      chainId: 'reactivation',
    })
    expect(parseRoute(resultsHref('re/activation'))).toEqual({
      screen: 'results',
      chainId: 're/activation',
    })
  })

  it('finds a customer and a template on one channel', () => {
    expect(parseRoute('#/customers')).toEqual({ screen: 'customers' })
    expect(parseRoute(customerHref('c 1'))).toEqual({ screen: 'customer', customerId: 'c 1' })
    expect(parseRoute('#/templates')).toEqual({ screen: 'templates' })
    expect(parseRoute(templateHref('winback', 'sms'))).toEqual({
      screen: 'template',
      name: 'winback',
      channel: 'sms',
    })
  })
})
