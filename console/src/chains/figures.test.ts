import { describe, expect, it } from 'vitest'
import type { ChainAnalytics, VersionFigures } from '../api/types'
import { actionsFor } from './chains'
import { liveFigures } from './figures'

function version(number: number, enrolled: number): VersionFigures {
  return {
    version: number,
    enrolled,
    treated: enrolled,
    holdout: 0,
    active: enrolled - 1,
    exited: {},
    revenue: 0,
    cost: 0,
    roi: null,
    uplift: null,
    steps: {},
  }
}

const analytics: ChainAnalytics = { chain_id: 'c', versions: [version(1, 10), version(2, 4)] }

describe('liveFigures', () => {
  it('reports the live version', () => {
    expect(liveFigures(analytics, 1)).toMatchObject({ enrolled: 10, active: 9 })
  })

  it('falls back to the latest version when none is live', () => {
    expect(liveFigures(analytics, null)).toMatchObject({ enrolled: 4 })
  })

  it('has nothing for a chain that never ran', () => {
    expect(liveFigures({ chain_id: 'c', versions: [] }, null)).toBeNull()
  })
})

describe('actionsFor', () => {
  it('offers what the chain status allows', () => {
    expect(actionsFor('active')).toEqual(['pause', 'archive'])
    expect(actionsFor('paused')).toEqual(['resume', 'archive'])
    expect(actionsFor('archived')).toEqual([])
  })
})
