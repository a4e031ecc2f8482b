import { describe, expect, it } from 'vitest'
import { encodingName, segmentsText } from './text'

describe('SMS figures as shown', () => {
  it('names the encodings the notifier answers', () => {
    expect([encodingName('gsm7'), encodingName('ucs2')]).toEqual(['GSM-7', 'UCS-2'])
  })

  it('counts segments in words', () => {
    const sms = { encoding: 'gsm7', units: 161, cost_per_send: 10, warning: null }
    expect([segmentsText({ ...sms, segments: 1 }), segmentsText({ ...sms, segments: 2 })]).toEqual(['1 segment', '2 segments'])
  })
})
