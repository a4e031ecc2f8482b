import { useState } from 'react'
import { ApiError } from '../api/client'
import type { Campaign } from '../api/types'
import { messageTemplateNames } from '../builder/api'
import { count } from '../common/format'
import { Status } from '../common/Status'
import { useApi } from '../common/useApi'
import { actOn, listCampaigns, progressBars } from './campaigns'
import { actionsFor, type Action } from './form'
import { NewCampaign } from './NewCampaign'

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

const ACTION_LABELS: Record<Action, string> = { start: 'Start', pause: 'Pause', resume: 'Resume' }

/** Start (or re-run), pause or resume; a refusal (409 when the run has ended) is said in the row. */
function CampaignActions({ campaign, onDone }: { campaign: Campaign; onDone: () => void }) {
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  async function act(action: Action) {
    setBusy(true)
    try {
      await actOn(campaign.id, action)
      setNote('')
    } catch (error) {
      setNote(error instanceof ApiError ? `${error.code}: ${error.message}` : String(error))
    }
    setBusy(false)
    onDone()
  }
  return (
    <>
      {actionsFor(campaign.status).map((action) => (
        <button key={action} type="button" className="small" disabled={busy} aria-label={`${ACTION_LABELS[action]} ${campaign.name}`}
          onClick={() => void act(action)}>
          {ACTION_LABELS[action]}
        </button>
      ))}
      {note && <span className="error">{note}</span>}
    </>
  )
}

export function CampaignsPage() {
  const campaigns = useApi(listCampaigns, [], 5000)
  const templates = useApi(messageTemplateNames, [])
  return (
    <section aria-labelledby="campaigns-title">
      <h1 id="campaigns-title">Campaigns</h1>
      <Status loaded={templates}>{(names) => <NewCampaign templates={names} onCreated={campaigns.reload} />}</Status>
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
                  <th scope="col">Actions</th>
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
                    <td>
                      <CampaignActions campaign={campaign} onDone={campaigns.reload} />
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
