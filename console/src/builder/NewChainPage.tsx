import { useState } from 'react'
import '../common/editing.css'
import { ApiError } from '../api/client'
import { builderHref } from '../common/route'
import { Status } from '../common/Status'
import { useApi } from '../common/useApi'
import { builtInChains, copyBuiltIn, createDraft } from './api'
import { emptyDefinition } from './definition'
import { TextField } from './fields'

/** A new draft: empty, or a copy of a built-in chain, under an id the marketer picks. */
export default function NewChainPage() {
  const builtIns = useApi(builtInChains, [])
  const [chainId, setChainId] = useState('')
  const [name, setName] = useState('')
  const [from, setFrom] = useState('')
  const [problem, setProblem] = useState('')

  async function create() {
    setProblem('')
    try {
      const id = chainId.trim()
      if (from) await copyBuiltIn(from, id)
      else await createDraft(emptyDefinition(id, name.trim() || id))
      window.location.hash = builderHref(id)
    } catch (error) {
      const fields = error instanceof ApiError ? error.errors.map((e) => `${e.field ?? ''}: ${e.message ?? ''}`) : []
      setProblem([error instanceof Error ? error.message : String(error), ...fields].join(' · '))
    }
  }

  return (
    <section aria-labelledby="new-chain-title" className="new-chain">
      <p>
        <a href="#/chains">← All chains</a>
      </p>
      <h1 id="new-chain-title">New chain</h1>
      <form onSubmit={(e) => { e.preventDefault(); void create() }}>
        <TextField label="Chain id (a–z, 0–9, _ and -)" value={chainId} onChange={setChainId} />
        <TextField label="Name" value={name} onChange={setName} hint="A copy keeps the built-in chain's name" />
        <fieldset>
          <legend>Start from</legend>
          <label className="check">
            <input type="radio" name="from" checked={from === ''} onChange={() => setFrom('')} /> An empty chain
          </label>
          <Status loaded={builtIns}>
            {(list) =>
              list.map((chain) => (
                <label key={chain.id} className="check">
                  <input type="radio" name="from" checked={from === chain.id} onChange={() => setFrom(chain.id)} /> {chain.name}
                  <span className="muted"> · {chain.description || chain.id}</span>
                </label>
              ))
            }
          </Status>
        </fieldset>
        <button type="submit" disabled={!chainId.trim()}>Create the draft</button>
        {problem && <p role="alert" className="error">{problem}</p>}
      </form>
    </section>
  )
}
