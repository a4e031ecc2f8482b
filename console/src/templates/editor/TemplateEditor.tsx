import { useState } from 'react'
import '../../common/editing.css'
import { ApiError } from '../../api/client'
import { money } from '../../common/format'
import { Status } from '../../common/Status'
import { useApi } from '../../common/useApi'
import { useDebouncedAnswer } from '../../common/useDebounced'
import { ListField, SelectField, TextField } from '../../builder/fields'
import { previewFor, readTemplate, saveTemplate, testSend, type Preview, type Template } from './api'
import { smsLength, unknownVariables } from './text'

type Draft = { subject: string; body: string; category: 'marketing' | 'transactional'; variables: string[] }
type Shown = { state: 'idle' | 'loading' } | { state: 'ready'; preview: Preview } | { state: 'failed'; message: string }

function usePreview(name: string, channel: string, customer: string, savedAt: number): Shown {
  const id = customer.trim()
  const answer = useDebouncedAnswer(id ? (signal) => previewFor(name, channel, id, signal) : null, [name, channel, id, savedAt])
  if (answer.state === 'answered') {
    return answer.answer instanceof ApiError ? { state: 'failed', message: `${answer.answer.code}: ${answer.answer.message}` } : { state: 'ready', preview: answer.answer }
  }
  return answer.state === 'waiting' ? { state: 'loading' } : answer
}

/** Encoding, segments and cost of the text as typed; the price per segment from the last preview. */
function SmsFigures({ body, preview }: { body: string; preview: Preview | null }) {
  const typed = smsLength(body)
  const perSegment = preview?.sms ? preview.sms.cost_per_send / preview.sms.segments : null
  return (
    <dl className="figures sms-figures" aria-label="SMS as typed">
      <div><dt>Encoding</dt><dd>{typed.encoding === 'gsm7' ? 'GSM-7' : 'UCS-2'}</dd></div>
      <div><dt>Characters</dt><dd>{typed.units}</dd></div>
      <div><dt>Segments</dt><dd>{typed.segments}</dd></div>
      <div><dt>Cost a send</dt><dd>{perSegment === null ? '—' : money(typed.segments * perSegment)}</dd></div>
    </dl>
  )
}

function PreviewPanel({ shown }: { shown: Shown }) {
  return (
    <section className="panel" aria-labelledby="template-preview-title" aria-live="polite">
      <h2 id="template-preview-title">Preview of the saved text</h2>
      {shown.state === 'idle' && <p className="muted">Choose a customer to see the message as they would get it.</p>}
      {shown.state === 'loading' && <p>Rendering…</p>}
      {shown.state === 'failed' && <p className="error">{shown.message}</p>}
      {shown.state === 'ready' && (
        <div className="rendered">
          <p className="muted">In {shown.preview.language} for {shown.preview.customer_id}</p>
          {shown.preview.subject && <p><strong>{shown.preview.subject}</strong></p>}
          <pre>{shown.preview.body}</pre>
          {shown.preview.sms && (
            <p>
              {shown.preview.sms.encoding === 'gsm7' ? 'GSM-7' : 'UCS-2'}, {shown.preview.sms.units} characters, {shown.preview.sms.segments} segment
              {shown.preview.sms.segments === 1 ? '' : 's'}, {money(shown.preview.sms.cost_per_send)} a send
              {shown.preview.sms.warning && <span className="error"> · {shown.preview.sms.warning}</span>}
            </p>
          )}
          {shown.preview.sampled_variables.length > 0 && (
            <p className="muted">Sample values for: {shown.preview.sampled_variables.join(', ')}</p>
          )}
        </div>
      )}
    </section>
  )
}

function Editor({ template }: { template: Template }) {
  const { name, channel } = template
  const [draft, setDraft] = useState<Draft>({
    subject: template.subject ?? '',
    body: template.body,
    category: template.category === 'transactional' ? 'transactional' : 'marketing',
    variables: template.variables,
  })
  const [customer, setCustomer] = useState('')
  const [savedAt, setSavedAt] = useState(0)
  const [status, setStatus] = useState('')
  const shown = usePreview(name, channel, customer, savedAt)
  const hasSubject = channel === 'email' || channel === 'push'
  const unknown = unknownVariables(hasSubject ? [draft.subject, draft.body] : [draft.body], draft.variables)
  const edit = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }))

  async function save() {
    setStatus('Saving…')
    try {
      const body = { ...draft, subject: hasSubject ? draft.subject || null : null, translations: template.translations }
      await saveTemplate(name, channel, body)
      setSavedAt(Date.now())
      setStatus('Saved')
    } catch (error) {
      setStatus(`Not saved: ${error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)}`)
    }
  }

  async function send() {
    setStatus('Sending…')
    try {
      const sent = await testSend(name, channel, customer.trim())
      setStatus(`Test sent by ${sent.channel} to ${sent.customer_id}`)
    } catch (error) {
      setStatus(`Not sent: ${error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)}`)
    }
  }

  return (
    <div className="template-editor">
      <div className="editor-form">
        {hasSubject && <TextField label={channel === 'email' ? 'Subject' : 'Title'} value={draft.subject} onChange={(subject) => edit({ subject })} />}
        <div className="field editor">
          <label htmlFor="template-body">Text</label>
          <textarea id="template-body" rows={10} value={draft.body} aria-describedby="template-unknown" onChange={(e) => edit({ body: e.target.value })} />
        </div>
        <div id="template-unknown" role="status">
          {unknown.length > 0 && (
            <p className="error">
              Unknown variables: {unknown.join(', ')}. Declare them if the chain passes them, or fix their spelling.{' '}
              <button type="button" className="small secondary" onClick={() => edit({ variables: [...draft.variables, ...unknown] })}>
                Declare {unknown.join(', ')}
              </button>
            </p>
          )}
        </div>
        {channel === 'sms' && <SmsFigures body={draft.body} preview={shown.state === 'ready' ? shown.preview : null} />}
        <ListField label="Variables the chain or campaign passes" value={draft.variables} onChange={(variables) => edit({ variables })} />
        <SelectField label="Category" value={draft.category} options={['marketing', 'transactional'] as const} onChange={(category) => edit({ category })} />
        <TextField label="Customer for the preview and the test send (id)" value={customer} onChange={setCustomer} />
        <div className="toolbar">
          <button type="button" onClick={save} disabled={unknown.length > 0}>Save the template</button>
          <button type="button" className="secondary" onClick={send} disabled={!customer.trim()}>Send a test</button>
          <span role="status">{status}</span>
        </div>
      </div>
      <PreviewPanel shown={shown} />
    </div>
  )
}

/** One template on one channel: edited with its preview for a chosen customer beside it. */
export default function TemplateEditor({ name, channel }: { name: string; channel: string }) {
  const loaded = useApi(() => readTemplate(name, channel), [name, channel])
  return (
    <section aria-labelledby="template-editor-title">
      <h1 id="template-editor-title">
        Template {name} · {channel}
      </h1>
      <Status loaded={loaded}>{(template) => <Editor key={`${name}/${channel}`} template={template} />}</Status>
    </section>
  )
}
