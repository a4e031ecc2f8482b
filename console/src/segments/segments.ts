import { api, unwrap } from '../api/client'
import { allPages, WHOLE_LIST_PAGE } from '../common/allPages'
import type { RfmDistribution, Segment } from '../api/types'

export function listSegments(): Promise<Segment[]> {
  return allPages((cursor) =>
    unwrap(api.GET('/v1/segments', { params: { query: { limit: WHOLE_LIST_PAGE, cursor } } })),
  )
}

export function getSegment(segmentId: string): Promise<Segment> {
  return unwrap(
    api.GET('/v1/segments/{segment_id}', { params: { path: { segment_id: segmentId } } }),
  )
}

export function rfmDistribution(): Promise<RfmDistribution> {
  return unwrap(api.GET('/v1/segments/rfm/distribution'))
}

/** The list does not carry sizes; each segment's own answer does. */
export async function segmentsWithSizes(): Promise<Segment[]> {
  const listed = await listSegments()
  return Promise.all(listed.map((segment) => getSegment(segment.id)))
}
