import type { Campaign } from '../api/types'
import { count } from '../common/format'
import { Status } from '../common/Status'
import { useApi } from '../common/useApi'
import { listCampaigns, progressBars } from './campaigns'

function CampaignProgress({ campaign }: { campaign: Campaign }) {
  return (
    <ul className="bars" aria-label={`${campaign.name} progress`}>
      {progressBars(campaign.progress).map((bar) => (
        <li key={bar.label}>
          <span className="bar-label">{bar.label}</span>
          <progress value={bar.value} max={bar.max} aria-label={`${campaign.name}: ${bar.label}`} />
          <span className="number">{count(bar.value)}</span>
        </li>
      ))}
    </ul>
  )
}

export function CampaignsPage() {
  const campaigns = useApi(listCampaigns, [], 5000)
  return (
    <section aria-labelledby="campaigns-title">
      <h1 id="campaigns-title">Campaigns</h1>
      <Status loaded={campaigns}>
        {(list) =>
          list.length === 0 ? (
            <p>No campaigns yet.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Campaign</th>
                  <th scope="col">Segment</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="number">Customers reached</th>
                  <th scope="col">Progress</th>
                </tr>
              </thead>
              <tbody>
                {list.map((campaign) => (
                  <tr key={campaign.id}>
                    <th scope="row">{campaign.name}</th>
                    <td>{campaign.segment}</td>
                    <td>
                      <span className={`badge ${campaign.status}`}>{campaign.status}</span>
                    </td>
                    <td className="number">{count(campaign.progress.processed)}</td>
                    <td>
                      <CampaignProgress campaign={campaign} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Status>
    </section>
  )
}
