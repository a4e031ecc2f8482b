import { useState } from 'react'
import '../common/editing.css'
import { CHANNELS } from '../builder/definition'
import { CheckField, NumberField, SelectField, TextField } from '../builder/fields'
import { createCampaign } from './campaigns'
import { campaignBody, campaignProblems, NEW_CAMPAIGN, type CampaignForm } from './form'

/** A new campaign: segment, an optional grant, an optional message with its cascade, pace and holdout; 422s on their fields. */
export function NewCampaign({ templates, onCreated }: { templates: string[]; onCreated: () => void }) {
  const [form, setForm] = useState<CampaignForm>(NEW_CAMPAIGN)
  const [problems, setProblems] = useState<Record<string, string>>({})
  const [status, setStatus] = useState('')
  const set = (patch: Partial<CampaignForm>) => setForm((f) => ({ ...f, ...patch }))
  const at = (...fields: string[]) => fields.flatMap((f) => (problems[f] ? [problems[f]] : []))

  async function create() {
    setStatus('Creating…')
    try {
      const campaign = await createCampaign(campaignBody(form))
      setProblems({})
      setForm(NEW_CAMPAIGN)
      setStatus(`Created ${campaign.name}`)
      onCreated()
    } catch (error) {
      setProblems(campaignProblems(error))
      setStatus('Not created: see the problems below the fields')
    }
  }

  return (
    <form className="panel new-campaign" aria-label="New campaign" onSubmit={(e) => { e.preventDefault(); void create() }}>
      <h2>New campaign</h2>
      <TextField label="Name" value={form.name} errors={at('name')} onChange={(name) => set({ name })} />
      <TextField label="Segment (id)" hint="e.g. recency.cooling, all_members" value={form.segment} errors={at('segment')} onChange={(segment) => set({ segment })} />
      <CheckField label="Grant bonus points" checked={form.grant} onChange={(grant) => set({ grant })} />
      {form.grant && (
        <>
          <NumberField label="Points" value={form.amount} errors={at('grant.amount', 'grant')} onChange={(amount) => set({ amount })} />
          <NumberField label="Lifetime (days)" value={form.lifetimeDays} errors={at('grant.lifetime_days')} onChange={(lifetimeDays) => set({ lifetimeDays })} />
        </>
      )}
      <CheckField label="Send a message" checked={form.message} onChange={(message) => set({ message })} />
      {form.message && (
        <>
          <SelectField label="Template" value={form.template} errors={at('message.template', 'message')}
            options={[{ value: '', label: 'pick a template' }, ...templates.map((t) => ({ value: t, label: t }))]} onChange={(template) => set({ template })} />
          <fieldset>
            <legend>Channels, in the order tried</legend>
            {CHANNELS.map((channel) => (
              <CheckField key={channel} label={channel} checked={form.channels.includes(channel)}
                onChange={(on) => set({ channels: CHANNELS.filter((c) => (c === channel ? on : form.channels.includes(c))) })} />
            ))}
            {at('message.channels').map((m) => <span key={m} className="error">{m}</span>)}
          </fieldset>
        </>
      )}
      <NumberField label="Holdout share (0 to 0.5)" step={0.01} value={form.holdoutShare} errors={at('holdout_share')} onChange={(holdoutShare) => set({ holdoutShare })} />
      <NumberField label="Members a second (at most)" value={form.ratePerSecond} errors={at('rate_per_second')} onChange={(ratePerSecond) => set({ ratePerSecond })} />
      <NumberField label="Batch size (empty: the default)" value={form.batchSize} errors={at('batch_size')} onChange={(batchSize) => set({ batchSize })} />
      {problems[''] && <p className="error">{problems['']}</p>}
      <button type="submit">Create the campaign</button> <span role="status">{status}</span>
    </form>
  )
}
