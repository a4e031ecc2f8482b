import type { ChainAnalytics, ChainDefinition, StepReport } from '../api/types'
import { count, money } from '../common/format'
import { builderHref, chainHref, resultsHref } from '../common/route'
import { Status } from '../common/Status'
import { useApi } from '../common/useApi'
import { EnrollmentList } from '../enrollments/EnrollmentList'
import { ChainGraph } from './ChainGraph'
import { chainAnalytics, getChain, getVersion, listVersions, stepReport } from './chains'
import { chainGraph } from './graph'
import { UpliftBar } from './UpliftBar'

type Shown = {
  name: string
  status: string
  live: number | null
  version: number | null
  versions: number[]
  definition: ChainDefinition
  analytics: ChainAnalytics
  steps: StepReport
}

async function loadChain(chainId: string, chosen?: number): Promise<Shown> {
  const [chain, analytics, steps, versions] = await Promise.all([
    getChain(chainId),
    chainAnalytics(chainId),
    stepReport(chainId),
    listVersions(chainId),
  ])
  // The live version is what customers go through; a chain never published shows its draft.
  const version = chosen ?? chain.active_version
  const definition = version ? (await getVersion(chainId, version)).definition : chain.draft
  return {
    name: chain.name,
    status: chain.status,
    live: chain.active_version,
    version,
    versions: versions.map((v) => v.version),
    definition,
    analytics,
    steps,
  }
}

function VersionPicker({ chainId, shown }: { chainId: string; shown: Shown }) {
  if (!shown.versions.length) return <dd>draft</dd>
  return (
    <dd>
      <select
        aria-label="Version"
        value={shown.version ?? ''}
        onChange={(e) => (window.location.hash = chainHref(chainId, Number(e.target.value)))}
      >
        {shown.versions.map((v) => (
          <option key={v} value={v}>
            version {v}
            {v === shown.live ? ' (live)' : ''}
          </option>
        ))}
      </select>
    </dd>
  )
}

function ChainView({ chainId, shown }: { chainId: string; shown: Shown }) {
  const figures = shown.analytics.versions.find((v) => v.version === shown.version)
  const report = shown.steps.versions.find((v) => v.version === shown.version)
  return (
    <>
      <h1 id="chain-title">{shown.name}</h1>
      <dl className="figures">
        <div>
          <dt>Status</dt>
          <dd>{shown.status}</dd>
        </div>
        <div>
          <dt>Showing</dt>
          <VersionPicker chainId={chainId} shown={shown} />
        </div>
        <div>
          <dt>Enrolled</dt>
          <dd>{count(figures?.enrolled)}</dd>
        </div>
        <div>
          <dt>In the chain now</dt>
          <dd>{count(figures?.active)}</dd>
        </div>
        <div>
          <dt>Revenue (treated, converted)</dt>
          <dd>{figures ? money(figures.attributed_revenue) : '—'}</dd>
        </div>
        <div>
          <dt>Conversion uplift</dt>
          <dd>
            <UpliftBar uplift={figures?.uplift ?? null} />
          </dd>
        </div>
        <div>
          <dt>Results</dt>
          <dd>
            <a href={resultsHref(chainId)}>Funnel, daily series, uplift and ROI</a>
          </dd>
        </div>
      </dl>
      <ChainGraph graph={chainGraph(shown.definition, figures, report)} />
    </>
  )
}

/** A chain's graph with live counts, refreshed every 5 s while the page is open. */
export default function ChainPage({ chainId, version }: { chainId: string; version?: number }) {
  const shown = useApi(() => loadChain(chainId, version), [chainId, version], 5000)
  const steps = shown.state === 'ready' ? shown.data.definition.steps.map((s) => s.id) : []
  return (
    <section aria-labelledby="chain-title">
      <p>
        <a href="#/chains">← All chains</a> · <a href={builderHref(chainId)}>Edit the draft</a>
      </p>
      <Status loaded={shown}>{(data) => <ChainView chainId={chainId} shown={data} />}</Status>
      <EnrollmentList chainId={chainId} steps={steps} />
    </section>
  )
}
