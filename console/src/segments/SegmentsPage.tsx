import type { RfmDistribution, Segment } from '../api/types'
import { count } from '../common/format'
import { segmentEditHref } from '../common/route'
import { Status } from '../common/Status'
import { useApi } from '../common/useApi'
import { RecencyChart } from './RecencyChart'
import { RfmHeatMap } from './RfmHeatMap'
import { recencyCounts } from './rfm'
import { rfmDistribution, segmentsWithSizes } from './segments'

type Shown = { segments: Segment[]; rfm: RfmDistribution }

async function load(): Promise<Shown> {
  const [segments, rfm] = await Promise.all([segmentsWithSizes(), rfmDistribution()])
  return { segments, rfm }
}

function SegmentTable({ segments }: { segments: Segment[] }) {
  return (
    <table>
      <caption>Every segment and its size now</caption>
      <thead>
        <tr>
          <th scope="col">Segment</th>
          <th scope="col">Kind</th>
          <th scope="col">Customers</th>
        </tr>
      </thead>
      <tbody>
        {segments.map((segment) => (
          <tr key={segment.id}>
            <th scope="row">
              {segment.name}
              <div className="muted">{segment.id}</div>
            </th>
            <td>
              {segment.kind}
              {segment.kind === 'rule' && (
                <>
                  {' · '}
                  <a href={segmentEditHref(segment.id)} aria-label={`Edit ${segment.name}`}>edit</a>
                </>
              )}
            </td>
            <td className="number">{count(segment.member_count)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export default function SegmentsPage() {
  const shown = useApi(load, [])
  return (
    <section aria-labelledby="segments-title">
      <h1 id="segments-title">Segments</h1>
      <p>
        <a href="#/segments/new">New segment</a>
      </p>
      <Status loaded={shown}>
        {({ segments, rfm }) => (
          <>
            <div className="panels">
              <section aria-labelledby="rfm-title" className="panel">
                <h2 id="rfm-title">RFM grid</h2>
                <p className="muted">
                  {count(rfm.scored_customers)} customers scored on the last {rfm.window_days} days
                </p>
                <RfmHeatMap counts={rfm.segments} />
              </section>
              <section aria-labelledby="recency-title" className="panel">
                <h2 id="recency-title">Recency</h2>
                <p className="muted">Customers by days since their last purchase</p>
                <RecencyChart buckets={recencyCounts(segments)} />
              </section>
            </div>
            <SegmentTable segments={segments} />
          </>
        )}
      </Status>
    </section>
  )
}
