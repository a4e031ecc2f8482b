import { useState } from 'react'
import { ApiError } from '../../api/client'
import { dryRun } from '../api'
import type { Definition } from '../definition'
import { TextField } from '../fields'
import { dryRunRequest, NOTHING_ASSUMED, timelineOf, type Assumed, type DryRunOut } from './timeline'

type Outcome = { state: 'idle' } | { state: 'running' } | { state: 'done'; run: DryRunOut } | { state: 'failed'; message: string }

function Timeline({ run }: { run: DryRunOut }) {
  const { entries, exit } = timelineOf(run)
  return (
    <>
      {run.holdout && <p className="muted">{run.customer_id} is in the control group: really they would get nothing. The path is the treated side.</p>}
      <ol className="dry-run-path" aria-label={`The path of ${run.customer_id}`}>
        {entries.map((entry, i) => (
          <li key={i}>
            <time dateTime={entry.at}>{entry.time}</time> <strong>{entry.title}</strong>
            {entry.grant && <p>Grant: {entry.grant}</p>}
            {entry.messages.length > 0 && (
              <ul>
                {entry.messages.map((m, j) => (
                  <li key={j} className={`decision-${m.decision}`}>
                    {m.template} by {m.channel}: {m.text}
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
        <li>
          <time dateTime={exit.at}>{exit.time}</time> <strong>Exit: {exit.reason}</strong>
        </li>
      </ol>
    </>
  )
}

/** The dry run of the draft on the canvas: the path and messages one customer would get over time. */
export function DryRunTimeline({ chainId, definition }: { chainId: string; definition: Definition }) {
  const [assumed, setAssumed] = useState<Assumed>(NOTHING_ASSUMED)
  const [problem, setProblem] = useState<{ field: keyof Assumed; message: string } | null>(null)
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' })
  const set = (key: keyof Assumed) => (value: string) => setAssumed((a) => ({ ...a, [key]: value }))
  const errorsOf = (key: keyof Assumed) => (problem?.field === key ? [problem.message] : [])

  async function run() {
    const asked = dryRunRequest(definition, assumed)
    if ('field' in asked) {
      setProblem(asked)
      return
    }
    setProblem(null)
    setOutcome({ state: 'running' })
    try {
      setOutcome({ state: 'done', run: await dryRun(chainId, asked.request) })
    } catch (error) {
      setOutcome({ state: 'failed', message: error instanceof ApiError ? `${error.code}: ${error.message}` : String(error) })
    }
  }

  return (
    <section aria-labelledby="dry-run-title" className="dry-run">
      <h2 id="dry-run-title">Dry run: the path a customer would take</h2>
      <p className="muted">Runs the draft as it is on the canvas; nothing is sent or granted. Times are UTC.</p>
      <div className="dry-run-form">
        <TextField label="Customer (id)" value={assumed.customer} errors={errorsOf('customer')} onChange={set('customer')} />
        <TextField type="datetime-local" label="Starts at (empty: now)" value={assumed.startAt} errors={errorsOf('startAt')} onChange={set('startAt')} />
        <TextField type="datetime-local" label="Assume a purchase at" value={assumed.purchaseAt} errors={errorsOf('purchaseAt')} onChange={set('purchaseAt')} />
        <TextField label="Assume an event (type)" hint="e.g. message.clicked, cart.updated" value={assumed.eventType}
          errors={errorsOf('eventType')} onChange={set('eventType')} />
        <TextField label="Of the step (for a message reaction)" value={assumed.eventStep} onChange={set('eventStep')} />
        <TextField type="datetime-local" label="The event at" value={assumed.eventAt} errors={errorsOf('eventAt')} onChange={set('eventAt')} />
      </div>
      <button type="button" onClick={run} disabled={outcome.state === 'running'}>Run the dry run</button>
      <div role="status">
        {outcome.state === 'running' && 'Running…'}
        {outcome.state === 'failed' && <p className="error">{outcome.message}</p>}
      </div>
      {outcome.state === 'done' && <Timeline run={outcome.run} />}
    </section>
  )
}
