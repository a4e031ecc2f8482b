import { describe, expect, it } from 'vitest'
import { chainHref, customerHref, parseRoute, resultsHref, templateHref } from './route'

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
