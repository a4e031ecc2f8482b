import { describe, expect, it } from 'vitest'
import type { ChainAnalytics, VersionFigures } from '../api/types'
import { emptyFigures, versionFigures } from '../api/fixtures'
import { actionsFor } from './chains'
import { liveFigures } from './figures'

function version(number: number, enrolled: number): VersionFigures {
  return versionFigures(number, { enrolled, treated: enrolled, active: enrolled - 1, incremental_roi: 1.5 })
}

function report(versions: VersionFigures[]): ChainAnalytics {
  return { chain_id: 'c', point_value: 1, margin_bp: 3000, total: emptyFigures(), versions }
}

const analytics = report([version(1, 10), version(2, 4)])

describe('liveFigures', () => {
  it('reports the live version', () => {
    expect(liveFigures(analytics, 1)).toMatchObject({ enrolled: 10, active: 9, roi: 1.5 })
  })

  it('falls back to the latest version when none is live', () => {
    expect(liveFigures(analytics, null)).toMatchObject({ enrolled: 4 })
  })

  it('has nothing for a chain that never ran', () => {
    expect(liveFigures(report([]), null)).toBeNull()
  })
})

describe('actionsFor', () => {
  it('offers what the chain status allows', () => {
    expect(actionsFor('active')).toEqual(['pause', 'archive'])
    expect(actionsFor('paused')).toEqual(['resume', 'archive'])
    expect(actionsFor('archived')).toEqual([])
  })
})
