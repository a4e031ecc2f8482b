import { useState } from 'react'
import { ApiError } from '../api/client'
import type { components } from '../api/schema'
import { testSendStep, type StepTestSent } from './api'
import type { Channel } from './definition'
import { SelectField, TextField } from './fields'

type Outcome = { state: 'idle' } | { state: 'sending' } | { state: 'sent'; sent: StepTestSent } | { state: 'failed'; message: string }

/** Send this step of the saved draft now to a test recipient (a customer flagged as one). */
export function TestSend({ chainId, step }: { chainId: string; step: components['schemas']['SendStep'] }) {
  const [customer, setCustomer] = useState('')
  const [channel, setChannel] = useState<Channel | ''>('')
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' })

  async function send() {
    setOutcome({ state: 'sending' })
    try {
      setOutcome({ state: 'sent', sent: await testSendStep(chainId, step.id, customer.trim(), channel || null) })
    } catch (error) {
      const message = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)
      setOutcome({ state: 'failed', message })
    }
  }

  return (
    <fieldset className="test-send">
      <legend>Test send (the saved draft)</legend>
      <TextField label="Test recipient (customer id)" value={customer} onChange={setCustomer} />
      <SelectField label="Channel" value={channel} options={[{ value: '', label: 'the first of the cascade' }, ...step.channels.map((c) => ({ value: c, label: c }))]}
        onChange={setChannel} />
      <button type="button" className="small" disabled={!customer.trim() || outcome.state === 'sending'} onClick={send}>
        Send a test
      </button>
      <div role="status">
        {outcome.state === 'sent' && (
          <div className="sent">
            Sent by {outcome.sent.channel} to {outcome.sent.customer_id}
            {outcome.sent.subject && <strong> · {outcome.sent.subject}</strong>}
            <pre>{outcome.sent.body}</pre>
          </div>
        )}
        {outcome.state === 'failed' && <p className="error">{outcome.message}</p>}
      </div>
    </fieldset>
  )
}
