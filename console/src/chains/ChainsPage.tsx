import type { Chain } from '../api/types'
import { count } from '../common/format'
import { chainHref } from '../common/route'
import { Status } from '../common/Status'
import { useApi } from '../common/useApi'
import { ChainActions } from './ChainActions'
import { chainAnalytics, listChains } from './chains'
import { liveFigures } from './figures'
import { UpliftBar } from './UpliftBar'

function ChainRow({ chain, onChanged }: { chain: Chain; onChanged: () => void }) {
  const analytics = useApi(() => chainAnalytics(chain.id), [chain.id])
  const figures = analytics.state === 'ready' ? liveFigures(analytics.data, chain.active_version) : null
  return (
    <tr>
      <th scope="row">
        <a href={chainHref(chain.id)}>{chain.name}</a>
        <div className="muted">{chain.id}</div>
      </th>
      <td>
        <span className={`badge ${chain.status}`}>{chain.status}</span>
      </td>
      <td className="number">{chain.active_version ? `v${chain.active_version}` : '—'}</td>
      <td className="number">{count(figures?.enrolled)}</td>
      <td className="number">{count(figures?.active)}</td>
      <td>
        <UpliftBar uplift={figures?.uplift ?? null} />
      </td>
      <td className="number">{figures?.roi == null ? '—' : figures.roi.toFixed(2)}</td>
      <td>
        <ChainActions chain={chain} onDone={onChanged} />
      </td>
    </tr>
  )
}

export function ChainsPage() {
  const chains = useApi(listChains, [], 5000)
  return (
    <section aria-labelledby="chains-title">
      <h1 id="chains-title">Chains</h1>
      <p>
        <a href="#/new-chain">New chain</a>
      </p>
      <Status loaded={chains}>
        {(list) =>
          list.length === 0 ? (
            <p>No chains yet: start one from a built-in chain or an empty draft.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Chain</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="number">Live version</th>
                  <th scope="col" className="number">Enrolled</th>
                  <th scope="col" className="number">Active</th>
                  <th scope="col">Conversion uplift</th>
                  <th scope="col" className="number">ROI</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.map((chain) => (
                  <ChainRow key={chain.id} chain={chain} onChanged={chains.reload} />
                ))}
              </tbody>
            </table>
          )
        }
      </Status>
    </section>
  )
}
