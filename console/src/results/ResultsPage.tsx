import { useState } from 'react'
import type { Chain, ChainAnalytics, Figures, StepReport } from '../api/types'
import { count, money, percent } from '../common/format'
import { chainHref } from '../common/route'
import { Status } from '../common/Status'
import { Head } from '../common/Table'
import { useApi } from '../common/useApi'
import { chainAnalytics, getChain, stepReport } from '../chains/chains'
import { DailyChart, ErrorBar, FunnelChart } from './charts'
import { costLines, dailySeries, funnelRows, sampleNote } from './results'

type Loaded = { chain: Chain; analytics: ChainAnalytics; steps: StepReport }

async function load(chainId: string): Promise<Loaded> {
  const [chain, analytics, steps] = await Promise.all([
    getChain(chainId),
    chainAnalytics(chainId),
    stepReport(chainId),
  ])
  return { chain, analytics, steps }
}

/** One figure; `data-value` carries the API's number as sent, which the browser test compares. */
function Figure({ label, value, children }: { label: string; value: number | null; children: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-value={value ?? ''}>{children}</dd>
    </div>
  )
}

function interval(low: number | null, high: number | null, show: (n: number) => string): string {
  return low === null || high === null ? '' : ` (95 %: ${show(low)} to ${show(high)})`
}

function Headline({ figures }: { figures: Figures }) {
  const { uplift, incremental_revenue: incremental } = figures
  return (
    <dl className="figures" id="results-figures">
      <Figure label="Treated" value={figures.treated}>{count(figures.treated)}</Figure>
      <Figure label="Holdout" value={figures.holdout}>{count(figures.holdout)}</Figure>
      <Figure label="Conversions treated" value={figures.conversions.treated}>
        {`${count(figures.conversions.treated)} (${percent(uplift?.treated_rate)})`}
      </Figure>
      <Figure label="Conversions holdout" value={figures.conversions.holdout}>
        {`${count(figures.conversions.holdout)} (${percent(uplift?.holdout_rate)})`}
      </Figure>
      <Figure label="Uplift" value={uplift?.difference ?? null}>
        {uplift ? percent(uplift.difference) + interval(uplift.ci95_low, uplift.ci95_high, percent) : '—'}
      </Figure>
      <Figure label="Incremental revenue" value={incremental?.estimate ?? null}>
        {incremental ? money(incremental.estimate) + interval(incremental.ci95_low, incremental.ci95_high, money) : '—'}
      </Figure>
      <Figure label="Attributed revenue" value={figures.attributed_revenue}>{money(figures.attributed_revenue)}</Figure>
      <Figure label="Cost" value={figures.cost.total}>{money(figures.cost.total)}</Figure>
      <Figure label="Incremental gross profit" value={figures.incremental_gross_profit}>
        {figures.incremental_gross_profit === null ? '—' : money(figures.incremental_gross_profit)}
      </Figure>
      <Figure label="ROI" value={figures.incremental_roi}>
        {figures.incremental_roi === null ? '—' : figures.incremental_roi.toFixed(2)}
      </Figure>
    </dl>
  )
}

function Costs({ figures, pointValue }: { figures: Figures; pointValue: number }) {
  return (
    <table>
      <caption>Cost by channel and points (SMS segments billed: {figures.cost.sms_segments})</caption>
      <Head columns={['Channel', 'Volume', 'Cost#']} />
      <tbody>
        {costLines(figures, pointValue).map((line) => (
          <tr key={line.label}>
            <th scope="row">{line.label}</th>
            <td>{line.count}</td>
            <td className="number" data-value={line.cost}>{money(line.cost)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function Funnel({ steps, version }: { steps: StepReport; version: number | null }) {
  const report = steps.versions.find((v) => v.version === version)
  if (!report) return <p className="muted">No published version has run yet.</p>
  const rows = funnelRows(report)
  return (
    <>
      <FunnelChart rows={rows} />
      <table aria-label="Funnel by step">
        <Head
          columns={['Step', 'Reached (treated)#', 'Reached (holdout)#', 'Waiting now#', 'Left here#', 'Messages sent#', 'Points granted#']}
        />
        <tbody>
          {rows.map((r) => (
            <tr key={r.step} data-step={r.step}>
              <th scope="row">{r.step.replaceAll('_', ' ')}</th>
              {[r.treated, r.holdout, r.waiting, r.left, r.sent, r.points].map((n, i) => (
                <td key={i} className="number">{count(n)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

/** The daily revenue as numbers beside its chart: `data-value` carries the API's minor units. */
function RevenueTable({ days }: { days: StepReport['daily'] }) {
  const shown = days.filter((d) => d.revenue.treated || d.revenue.holdout)
  if (!shown.length) return <p className="muted">No revenue from conversions in these days yet.</p>
  return (
    <table aria-label="Daily revenue">
      <Head columns={['Day (UTC)', 'Revenue treated#', 'Revenue holdout#', 'Per member treated#', 'Per member holdout#']} />
      <tbody>
        {shown.map((d) => (
          <tr key={d.date} data-date={d.date}>
            <th scope="row">{d.date}</th>
            {[d.revenue.treated, d.revenue.holdout, d.revenue_per_member.treated, d.revenue_per_member.holdout].map((n, i) => (
              <td key={i} className="number" data-value={n}>
                {money(n)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function ResultsView({ chainId, loaded }: { chainId: string; loaded: Loaded }) {
  const versions = loaded.analytics.versions.map((v) => v.version)
  const [chosen, setChosen] = useState(loaded.chain.active_version ?? versions[versions.length - 1] ?? null)
  const figures = loaded.analytics.versions.find((v) => v.version === chosen) ?? loaded.analytics.total
  return (
    <>
      <h1 id="results-title">Results: {loaded.chain.name}</h1>
      <p>
        <a href={chainHref(chainId)}>← The chain&apos;s graph and enrollments</a>
      </p>
      <label>
        Version{' '}
        <select value={chosen ?? ''} onChange={(e) => setChosen(Number(e.target.value))}>
          {versions.map((v) => (
            <option key={v} value={v}>
              version {v}
              {v === loaded.chain.active_version ? ' (live)' : ''}
            </option>
          ))}
        </select>
      </label>
      <Headline figures={figures} />
      <div className="panels">
        <section className="panel" aria-labelledby="uplift-title">
          <h2 id="uplift-title">Conversion uplift, treated − holdout</h2>
          {figures.uplift ? <ErrorBar uplift={figures.uplift} /> : null}
          <p className="note">{sampleNote(figures)}</p>
        </section>
        <section className="panel" aria-labelledby="cost-title">
          <h2 id="cost-title">Cost</h2>
          <Costs figures={figures} pointValue={loaded.analytics.point_value} />
        </section>
        <section className="panel wide" aria-labelledby="funnel-title">
          <h2 id="funnel-title">Funnel by step</h2>
          <Funnel steps={loaded.steps} version={chosen} />
        </section>
        <section className="panel wide" aria-labelledby="daily-title">
          <h2 id="daily-title">Daily, last 30 days (UTC)</h2>
          <h3>Conversions</h3>
          <DailyChart series={dailySeries(loaded.steps.daily, 'conversions')} name="conversions" />
          <h3>Revenue per member (conversions&apos; net revenue over the arm&apos;s enrollments so far)</h3>
          <DailyChart
            series={dailySeries(loaded.steps.daily, 'revenue_per_member')}
            name="revenue per member"
            isMoney
          />
          <RevenueTable days={loaded.steps.daily} />
          <h3>Enrollments</h3>
          <DailyChart series={dailySeries(loaded.steps.daily, 'enrolled')} name="enrollments" />
        </section>
      </div>
    </>
  )
}

/** A chain's results against its holdout, as the analytics API reports them. */
export default function ResultsPage({ chainId }: { chainId: string }) {
  const loaded = useApi(() => load(chainId), [chainId])
  return (
    <section aria-labelledby="results-title">
      <Status loaded={loaded}>{(data) => <ResultsView chainId={chainId} loaded={data} />}</Status>
    </section>
  )
}
