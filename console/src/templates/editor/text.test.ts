import { describe, expect, it } from 'vitest'
import { smsLength, unknownVariables, usedVariables } from './text'

describe('variables in a template', () => {
  it('finds the names the text reads, not attributes, filters, strings or loop variables', () => {
    const text =
      "Hello {{ name }}, {{ points }} points until {{ points_expire_at | date('%d.%m') }}.\n" +
      '{% for item in cart %}{{ item.sku }} {{ (item.price * item.quantity) | money }}{% endfor %}' +
      '{% if tier == "gold" %}VIP{% endif %}'
    expect(usedVariables(text)).toEqual(['cart', 'name', 'points', 'points_expire_at', 'tier'])
  })

  it('flags the names neither the notifier nor the template provides', () => {
    expect(unknownVariables(['{{ name }} {{ pionts }}', '{{ offer }} {{ points }}'], ['points'])).toEqual(['pionts'])
  })
})

describe('SMS length as typed', () => {
  it('counts GSM-7 septets, two for the extension table, and its segments', () => {
    expect(smsLength('Hello')).toEqual({ encoding: 'gsm7', units: 5, segments: 1 })
    expect(smsLength('€'.repeat(80))).toEqual({ encoding: 'gsm7', units: 160, segments: 1 })
    expect(smsLength('a'.repeat(161))).toEqual({ encoding: 'gsm7', units: 161, segments: 2 })
  })

  it('falls back to UCS-2 for other characters', () => {
    expect(smsLength('Привет')).toEqual({ encoding: 'ucs2', units: 6, segments: 1 })
    expect(smsLength('ы'.repeat(71)).segments).toBe(2)
  })
})
