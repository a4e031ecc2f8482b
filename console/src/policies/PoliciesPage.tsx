import { useState } from 'react'
import '../common/editing.css'
import { ApiError } from '../api/client'
import { Status } from '../common/Status'
import { useApi } from '../common/useApi'
import { NumberField, SelectField, TextField } from '../builder/fields'
import { listChains } from '../chains/chains'
import { chainOverride, programmePolicy, saveChainOverride, saveProgrammePolicy, writable, type Policy, type PolicyWrite } from './api'

/** Daily cap, minimum pause, quiet hours and what happens over the cap; 422s shown by field. */
function PolicyForm({ policy, title, onSave }: { policy: PolicyWrite; title: string; onSave: (p: PolicyWrite) => Promise<Policy> }) {
  const [draft, setDraft] = useState(policy)
  const [status, setStatus] = useState('')
  const [problems, setProblems] = useState<Record<string, string>>({})
  const set = (patch: Partial<PolicyWrite>) => setDraft((d) => ({ ...d, ...patch }))
  const at = (field: string) => (problems[field] ? [problems[field]] : [])

  async function save() {
    setStatus('Saving…')
    try {
      await onSave(draft)
      setProblems({})
      setStatus('Saved')
    } catch (error) {
      const fields = error instanceof ApiError ? error.errors : []
      setProblems(Object.fromEntries(fields.map((e) => [(e.field ?? '').replace(/^body\./, ''), e.message ?? ''])))
      setStatus(`Not saved: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  return (
    <form className="panel" aria-label={title} onSubmit={(e) => { e.preventDefault(); void save() }}>
      <h2>{title}</h2>
      <NumberField label="Marketing messages a day (at most)" value={draft.daily_cap} errors={at('daily_cap')} onChange={(v) => set({ daily_cap: v ?? 0 })} />
      <NumberField label="Minimum pause between messages (seconds)" value={draft.min_pause_seconds} errors={at('min_pause_seconds')} onChange={(v) => set({ min_pause_seconds: v ?? 0 })} />
      <TextField label="Quiet from (customer's local time, HH:MM)" value={draft.quiet_start} errors={at('quiet_start')} onChange={(quiet_start) => set({ quiet_start })} />
      <TextField label="Quiet until (HH:MM)" value={draft.quiet_end} errors={at('quiet_end')} onChange={(quiet_end) => set({ quiet_end })} />
      <SelectField label="Over the cap" value={draft.over_cap} options={[
        { value: 'defer', label: 'defer to the next day' },
        { value: 'drop', label: 'drop the message' },
      ]} onChange={(over_cap) => set({ over_cap })} />
      <button type="submit">Save</button> <span role="status">{status}</span>
    </form>
  )
}

function ChainOverride({ chains, programme }: { chains: { id: string; name: string }[]; programme: PolicyWrite }) {
  const [chainId, setChainId] = useState(chains[0]?.id ?? '')
  const override = useApi(() => (chainId ? chainOverride(chainId) : Promise.resolve(null)), [chainId])
  return (
    <section className="panel" aria-labelledby="override-title">
      <h2 id="override-title">A chain's override</h2>
      <SelectField label="Chain" value={chainId} options={chains.map((c) => ({ value: c.id, label: `${c.name} (${c.id})` }))} onChange={setChainId} />
      <Status loaded={override}>
        {(found) => (
          <>
            <p className="muted">{found ? 'This chain has its own policy.' : "The programme's policy applies; saving gives the chain its own."}</p>
            <PolicyForm key={chainId} title={`Policy of ${chainId}`} policy={found ? writable(found) : programme}
              onSave={(body) => saveChainOverride(chainId, body)} />
          </>
        )}
      </Status>
    </section>
  )
}

async function load() {
  const [programme, chains] = await Promise.all([programmePolicy(), listChains()])
  return { programme: writable(programme), chains }
}

/** The programme's communication policy and per-chain overrides. */
export default function PoliciesPage() {
  const loaded = useApi(load, [])
  return (
    <section aria-labelledby="policies-title">
      <h1 id="policies-title">Communication policy</h1>
      <Status loaded={loaded}>
        {({ programme, chains }) => (
          <div className="panels">
            <PolicyForm title="The programme's policy" policy={programme} onSave={saveProgrammePolicy} />
            <ChainOverride chains={chains} programme={programme} />
          </div>
        )}
      </Status>
    </section>
  )
}
