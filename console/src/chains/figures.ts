import type { ChainAnalytics, Uplift, VersionFigures } from '../api/types'

export type LiveFigures = {
  enrolled: number
  active: number
  uplift: Uplift | null
  roi: number | null
}

/** The figures of the live version, or of the latest one that has any when none is live. */
export function liveFigures(
  analytics: ChainAnalytics,
  liveVersion: number | null,
): LiveFigures | null {
  const versions = analytics.versions
  const chosen: VersionFigures | undefined =
    versions.find((v) => v.version === liveVersion) ?? versions[versions.length - 1]
  if (!chosen) return null
  return {
    enrolled: chosen.enrolled,
    active: chosen.active,
    uplift: chosen.uplift,
    roi: chosen.incremental_roi,
  }
}
