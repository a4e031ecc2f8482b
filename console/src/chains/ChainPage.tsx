import type { ChainAnalytics, ChainDefinition } from '../api/types'
import { count, money } from '../common/format'
import { builderHref } from '../common/route'
import { Status } from '../common/Status'
import { useApi } from '../common/useApi'
import { ChainGraph } from './ChainGraph'
import { chainAnalytics, getChain, getVersion } from './chains'
import { chainGraph } from './graph'
import { UpliftBar } from './UpliftBar'

type Shown = { name: string; status: string; version: number | null; definition: ChainDefinition; analytics: ChainAnalytics }

async function loadChain(chainId: string): Promise<Shown> {
  const [chain, analytics] = await Promise.all([getChain(chainId), chainAnalytics(chainId)])
  const version = chain.active_version
  // The live version is what customers go through; a chain never published shows its draft.
  const definition = version ? (await getVersion(chainId, version)).definition : chain.draft
  return { name: chain.name, status: chain.status, version, definition, analytics }
}

function ChainView({ shown }: { shown: Shown }) {
  const figures = shown.analytics.versions.find((v) => v.version === shown.version)
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
          <dd>{shown.version ? `live version ${shown.version}` : 'draft'}</dd>
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
          <dt>Revenue (treated)</dt>
          <dd>{figures ? money(figures.revenue) : '—'}</dd>
        </div>
        <div>
          <dt>Conversion uplift</dt>
          <dd>
            <UpliftBar uplift={figures?.uplift ?? null} />
          </dd>
        </div>
      </dl>
      <ChainGraph graph={chainGraph(shown.definition, figures)} />
    </>
  )
}

/** A chain's graph with live counts, refreshed every 5 s while the page is open. */
export default function ChainPage({ chainId }: { chainId: string }) {
  const shown = useApi(() => loadChain(chainId), [chainId], 5000)
  return (
    <section aria-labelledby="chain-title">
      <p>
        <a href="#/chains">← All chains</a> · <a href={builderHref(chainId)}>Edit the draft</a>
      </p>
      <Status loaded={shown}>{(data) => <ChainView shown={data} />}</Status>
    </section>
  )
}
