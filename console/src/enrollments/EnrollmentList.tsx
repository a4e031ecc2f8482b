import { useState } from 'react'
import type { Enrollment, EnrollmentPage } from '../api/types'
import { count, when, words } from '../common/format'
import { customerHref } from '../common/route'
import { Status } from '../common/Status'
import { Head } from '../common/Table'
import { usePages } from '../common/usePages'
import { useApi } from '../common/useApi'
import { listEnrollments, type Filters, type StatusFilter } from './enrollments'

function Row({ item }: { item: Enrollment }) {
  return (
    <tr>
      <th scope="row">
        <a href={customerHref(item.customer_id)}>{item.customer_id}</a>
      </th>
      <td className="number">v{item.version}</td>
      <td>{item.holdout ? 'holdout' : 'treated'}</td>
      <td>
        <span className={`badge ${item.status}`}>{item.status}</span>
      </td>
      <td>{item.step ? words(item.step) : '—'}</td>
      <td>{item.exit_reason ? words(item.exit_reason) : '—'}</td>
      <td className="number">{item.touches}</td>
      <td>{when(item.enrolled_at)}</td>
      <td>{when(item.exited_at)}</td>
    </tr>
  )
}

function Counts({ page }: { page: EnrollmentPage }) {
  const reasons = Object.entries(page.counts.by_exit_reason)
  return (
    <p className="muted">
      {count(page.counts.total)} in all: {count(page.counts.by_status.active ?? 0)} active,{' '}
      {count(page.counts.by_status.exited ?? 0)} exited
      {reasons.length ? ` (${reasons.map(([r, n]) => `${words(r)} ${n}`).join(', ')})` : ''}
    </p>
  )
}

function Pages({ chainId, filters, first }: { chainId: string; filters: Filters; first: EnrollmentPage }) {
  const { rows, next } = usePages(first, (cursor) => listEnrollments(chainId, filters, cursor))
  return (
    <>
      <Counts page={first} />
      <table>
        <caption>Newest first; each customer links to their history</caption>
        <Head columns={['Customer', 'Version#', 'Group', 'Status', 'Step now', 'Left because', 'Touches#', 'Enrolled', 'Left']} />
        <tbody>
          {rows.map((item) => (
            <Row key={item.workflow_id + item.enrolled_at} item={item} />
          ))}
        </tbody>
      </table>
      {next && (
        <button type="button" onClick={next}>
          More enrollments
        </button>
      )}
    </>
  )
}

/** The enrollments of a chain, newest first, a page at a time, filtered by status and step
 * (`steps`: the shown version's step ids). */
export function EnrollmentList({ chainId, steps }: { chainId: string; steps: string[] }) {
  const [status, setStatus] = useState<StatusFilter>('all')
  const [step, setStep] = useState('')
  const first = useApi(() => listEnrollments(chainId, { status, step }), [chainId, status, step])
  return (
    <section aria-labelledby="enrollments-title" className="panel">
      <h2 id="enrollments-title">Enrollments</h2>
      <label>
        Status{' '}
        <select value={status} onChange={(e) => setStatus(e.target.value as StatusFilter)}>
          <option value="all">all</option>
          <option value="active">active</option>
          <option value="exited">exited</option>
        </select>
      </label>{' '}
      <label>
        Step{' '}
        <select value={step} onChange={(e) => setStep(e.target.value)}>
          <option value="">every step</option>
          {(step && !steps.includes(step) ? [...steps, step] : steps).map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
      </label>
      {/* A new first page (another filter) starts the list again. */}
      <Status loaded={first}>
        {(page) => (
          <Pages
            key={`${status}:${step}:${page.next_cursor}:${page.counts.total}`}
            chainId={chainId}
            filters={{ status, step }}
            first={page}
          />
        )}
      </Status>
    </section>
  )
}
