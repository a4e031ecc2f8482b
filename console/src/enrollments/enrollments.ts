import { api, unwrap } from '../api/client'
import type { EnrollmentPage } from '../api/types'

export type StatusFilter = 'all' | 'active' | 'exited'

/** The list's filters: a status, and a step id ('' for every step): those at the step now or
 * that left the chain there. */
export type Filters = { status: StatusFilter; step: string }

/** One page of a chain's enrollments, newest first; `cursor` is the previous page's next. */
export function listEnrollments(
  chainId: string,
  { status, step }: Filters,
  cursor?: string | null,
): Promise<EnrollmentPage> {
  return unwrap(
    api.GET('/v1/chains/{chain_id}/enrollments', {
      params: {
        path: { chain_id: chainId },
        query: { limit: 50, cursor, status: status === 'all' ? null : status, step: step || null },
      },
    }),
  )
}
