import { api, unwrap } from '../api/client'
import type { EnrollmentPage } from '../api/types'

export type StatusFilter = 'all' | 'active' | 'exited'

/** One page of a chain's enrollments, newest first; `cursor` is the previous page's next. */
export function listEnrollments(
  chainId: string,
  status: StatusFilter,
  cursor?: string | null,
): Promise<EnrollmentPage> {
  return unwrap(
    api.GET('/v1/chains/{chain_id}/enrollments', {
      params: {
        path: { chain_id: chainId },
        query: { limit: 50, cursor, status: status === 'all' ? null : status },
      },
    }),
  )
}
