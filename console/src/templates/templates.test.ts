import { describe, expect, it } from 'vitest'
import type { Template } from '../api/types'
import { byChannel } from './templates'

function template(name: string, channel: string): Template {
  return { name, channel, subject: null, body: 'Hi', category: 'marketing', variables: [], translations: {}, origin: 'default', updated_at: null, sms: null }
}

describe('byChannel', () => {
  it('groups templates per channel, both sorted', () => {
    const groups = byChannel([template('winback', 'sms'), template('birthday', 'sms'), template('winback', 'email')])
    expect(groups.map(([channel, list]) => [channel, list.map((t) => t.name)])).toEqual([
      ['email', ['winback']],
      ['sms', ['birthday', 'winback']],
    ])
  })
})
