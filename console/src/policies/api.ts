import { api, ApiError, unwrap } from '../api/client'
import type { components } from '../api/schema'

export type Policy = components['schemas']['PolicyRead']
export type PolicyWrite = components['schemas']['PolicyWrite']

export function programmePolicy(): Promise<Policy> {
  return unwrap(api.GET('/v1/policies/program'))
}

export function saveProgrammePolicy(body: PolicyWrite): Promise<Policy> {
  return unwrap(api.PUT('/v1/policies/program', { body }))
}

const chainPolicy = (chainId: string) => ({ params: { path: { kind: 'chains' as const, owner_id: chainId } } })

/** A chain's override, or null when the programme's policy applies to it. */
export async function chainOverride(chainId: string): Promise<Policy | null> {
  try {
    return await unwrap<Policy>(api.GET('/v1/policies/{kind}/{owner_id}', chainPolicy(chainId)))
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null
    throw error
  }
}

export function saveChainOverride(chainId: string, body: PolicyWrite): Promise<Policy> {
  return unwrap(api.PUT('/v1/policies/{kind}/{owner_id}', { ...chainPolicy(chainId), body }))
}

/** The fields a form edits, from what the API reads back (times as HH:MM). */
export function writable(policy: Policy): PolicyWrite {
  return {
    daily_cap: policy.daily_cap,
    min_pause_seconds: policy.min_pause_seconds,
    quiet_start: policy.quiet_start.slice(0, 5),
    quiet_end: policy.quiet_end.slice(0, 5),
    over_cap: policy.over_cap === 'drop' ? 'drop' : 'defer',
  }
}
