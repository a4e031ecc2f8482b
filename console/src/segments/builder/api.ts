import { api, ApiError, unwrap } from '../../api/client'
import type { Rule } from './rules'

export type RuleSegment = { id: string; kind: string; name: string; description: string | null; definition: Rule | null; member_count?: number | null }
export type Preview = { count: number; sample: string[] }
export type SegmentBody = { name: string; description?: string | null; definition: Rule }

const segmentPath = (id: string) => ({ params: { path: { segment_id: id } } })

export function readSegment(id: string): Promise<RuleSegment> {
  return unwrap(api.GET('/v1/segments/{segment_id}', segmentPath(id)))
}

/** The count and a sample of who the rule holds now, or the 422 naming its problems. */
export async function previewRule(definition: Rule, signal?: AbortSignal): Promise<Preview | ApiError> {
  try {
    return await unwrap<Preview>(api.POST('/v1/segments/preview', { body: { definition, sample_size: 10 }, signal }))
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) return error
    throw error
  }
}

export function createSegment(body: SegmentBody): Promise<RuleSegment> {
  return unwrap(api.POST('/v1/segments', { body }))
}

export function replaceSegment(id: string, body: SegmentBody): Promise<RuleSegment> {
  return unwrap(api.PUT('/v1/segments/{segment_id}', { ...segmentPath(id), body }))
}

export function deleteSegment(id: string): Promise<unknown> {
  return unwrap(api.DELETE('/v1/segments/{segment_id}', segmentPath(id)))
}
