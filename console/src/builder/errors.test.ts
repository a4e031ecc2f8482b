import { describe, expect, it } from 'vitest'
import { fieldErrors, locate, messagesFor } from './errors'

describe('placing the API problems', () => {
  it('puts schema paths on the step and field, without the union tags', () => {
    expect(locate('body.steps.2.send.channels.0')).toEqual({ step: 2, field: 'channels.0' })
    expect(locate('body.steps.1.wait.wait.event.timeout')).toEqual({ step: 1, field: 'wait.timeout' })
    expect(locate('body.steps.0.grant_bonus.amount')).toEqual({ step: 0, field: 'amount' })
    expect(locate('body.steps.4.branch.cases.0.when.in_segment.segment')).toEqual({ step: 4, field: 'cases.0.when.segment' })
    expect(locate('body.trigger.event.event')).toEqual({ step: null, field: 'trigger.event' })
  })

  it('puts the chain checks (no tags) on the same fields', () => {
    expect(locate('body.steps.3.next')).toEqual({ step: 3, field: 'next' })
    expect(locate('body.steps.1.wait.on_timeout')).toEqual({ step: 1, field: 'wait.on_timeout' })
    expect(locate('body.steps.5')).toEqual({ step: 5, field: '' })
    expect(locate('body.audience.segment_id')).toEqual({ step: null, field: 'audience.segment_id' })
  })

  it('answers for a whole step or one field and what is inside it', () => {
    const errors = fieldErrors([
      { field: 'body.steps.2.send.channels.0', message: 'bad channel', type: 'enum' },
      { field: 'body.steps.2.send.template', message: 'too short', type: 'string_too_short' },
      { field: 'body.holdout_share', message: 'at most 0.5', type: 'less_than_equal' },
    ])
    expect(messagesFor(errors, 2)).toEqual(['bad channel', 'too short'])
    expect(messagesFor(errors, 2, 'channels')).toEqual(['bad channel'])
    expect(messagesFor(errors, 2, 'chan')).toEqual([])
    expect(messagesFor(errors, null, 'holdout_share')).toEqual(['at most 0.5'])
  })
})
