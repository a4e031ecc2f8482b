import { describe, expect, it } from 'vitest'
import { ApiError } from '../api/client'
import { actionsFor, campaignBody, campaignProblems, NEW_CAMPAIGN } from './form'

describe('a new campaign in a form', () => {
  it('sends the grant and the message only when chosen, the segment and name trimmed', () => {
    const grantOnly = campaignBody({ ...NEW_CAMPAIGN, name: ' Spring ', segment: ' recency.cooling ', amount: 500, lifetimeDays: 3 })
    expect(grantOnly).toMatchObject({
      name: 'Spring', segment: 'recency.cooling', grant: { amount: 500, lifetime_days: 3 }, message: null, holdout_share: 0.1, rate_per_second: 100, batch_size: null,
    })
    const messageOnly = campaignBody({ ...NEW_CAMPAIGN, grant: false, message: true, template: 'mass_bonus', channels: ['push', 'email'], holdoutShare: 0, ratePerSecond: 1, batchSize: 1 })
    expect(messageOnly).toMatchObject({
      grant: null, message: { template: 'mass_bonus', channels: ['push', 'email'] }, holdout_share: 0, rate_per_second: 1, batch_size: 1,
    })
  })

  it('puts each 422 on its field, an unknown segment on the segment, the rest on the campaign', () => {
    const invalid = new ApiError(422, {
      code: 'validation_error', detail: 'invalid',
      errors: [
        { field: 'body.holdout_share', message: 'Input should be less than or equal to 0.5' },
        { field: 'body.grant.amount', message: 'Input should be a valid integer' },
        { field: 'body', message: 'a campaign needs a grant, a message or both' },
      ],
    })
    expect(campaignProblems(invalid)).toEqual({
      holdout_share: 'Input should be less than or equal to 0.5',
      'grant.amount': 'Input should be a valid integer',
      '': 'a campaign needs a grant, a message or both',
    })
    const unknown = new ApiError(422, { code: 'unknown_segment', detail: "segments has no segment 'no.such'" })
    expect(campaignProblems(unknown)).toEqual({ segment: "segments has no segment 'no.such'" })
    expect(campaignProblems(new ApiError(503, { code: 'segments_unavailable', detail: 'down' }))).toEqual({ '': 'segments_unavailable: down' })
  })

  it('offers start, pause or resume as the state allows', () => {
    expect(actionsFor('draft')).toEqual(['start'])
    expect(actionsFor('running')).toEqual(['pause'])
    expect(actionsFor('paused')).toEqual(['resume'])
    expect(actionsFor('completed')).toEqual(['start'])
  })
})
