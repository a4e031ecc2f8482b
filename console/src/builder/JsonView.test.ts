import { describe, expect, it } from 'vitest'
import { emptyDefinition } from './definition'
import { asText, parseDefinition } from './JsonView'

describe('the JSON view', () => {
  it('reads back what it shows', () => {
    const d = emptyDefinition('c', 'C')
    expect(parseDefinition(asText(d))).toEqual(d)
  })

  it('says why text is not a chain yet', () => {
    expect(typeof parseDefinition('{"steps": [')).toBe('string')
    expect(parseDefinition('{"id": "c"}')).toBe('a chain is an object with a "steps" list')
  })
})
