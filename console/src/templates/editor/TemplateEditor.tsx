import { useState } from 'react'
import '../../common/editing.css'
import { ApiError } from '../../api/client'
import { money } from '../../common/format'
import { Status } from '../../common/Status'
import { useApi } from '../../common/useApi'
import { useDebouncedAnswer } from '../../common/useDebounced'
import { ListField, SelectField, TextField } from '../../builder/fields'
import type { SmsLength } from '../../api/types'
import { previewDraft, readTemplate, saveTemplate, testSend, type DraftPreview, type DraftPreviewRequest, type Template } from './api'
import { encodingName, segmentsText } from './text'

type Draft = { subject: string; body: string; category: 'marketing' | 'transactional'; variables: string[] }
type Shown = { state: 'idle' | 'loading' } | { state: 'ready'; preview: DraftPreview } | { state: 'failed'; message: string }
type Asked = { request: DraftPreviewRequest; shown: Shown }

/**
 * The texts as typed, rendered and counted by the notifier a moment after the last keystroke;
 * `current` is false while the answer on screen is for an older text.
 */
function useDraftPreview(request: DraftPreviewRequest): { shown: Shown; current: boolean } {
  const key = JSON.stringify(request)
  const answer = useDebouncedAnswer<Asked>(
    async (signal) => {
      const answered = await previewDraft(request, signal)
      const shown: Shown = answered instanceof ApiError ? { state: 'failed', message: `${answered.code}: ${answered.message}` } : { state: 'ready', preview: answered }
      return { request, shown }
    },
    [key],
  )
  if (answer.state === 'answered') return { shown: answer.answer.shown, current: JSON.stringify(answer.answer.request) === key }
  return { shown: answer.state === 'waiting' ? { state: 'loading' } : answer, current: false }
}

/** Encoding, length, segments and cost of the rendered text, as the notifier counts them. */
function SmsFigures({ sms, current }: { sms: SmsLength | null | undefined; current: boolean }) {
  return (
    <dl className="figures sms-figures" aria-label="SMS as typed" aria-busy={!current}>
      <div><dt>Encoding</dt><dd>{sms ? <data value={sms.encoding}>{encodingName(sms.encoding)}</data> : '—'}</dd></div>
      <div><dt>Characters</dt><dd>{sms ? sms.units : '—'}</dd></div>
      <div><dt>Segments</dt><dd>{sms ? sms.segments : '—'}</dd></div>
      <div><dt>Cost a send</dt><dd>{sms ? <data value={sms.cost_per_send}>{money(sms.cost_per_send)}</data> : '—'}</dd></div>
      {sms?.warning && <div><dt>Note</dt><dd className="error">{sms.warning}</dd></div>}
    </dl>
  )
}

function PreviewPanel({ shown }: { shown: Shown }) {
  return (
    <section className="panel" aria-labelledby="template-preview-title" aria-live="polite">
      <h2 id="template-preview-title">Preview as typed</h2>
      {shown.state === 'loading' && <p>Rendering…</p>}
      {shown.state === 'failed' && <p className="error">{shown.message}</p>}
      {shown.state === 'ready' && (
        <div className="rendered">
          <p className="muted">
            In {shown.preview.language} for {shown.preview.customer_id ?? 'a sample customer (choose one below)'}
          </p>
          {shown.preview.subject && <p><strong>{shown.preview.subject}</strong></p>}
          <pre>{shown.preview.body}</pre>
          {shown.preview.sms && (
            <p>
              {encodingName(shown.preview.sms.encoding)}, {shown.preview.sms.units} characters, {segmentsText(shown.preview.sms)},{' '}
              {money(shown.preview.sms.cost_per_send)} a send
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
  const [status, setStatus] = useState('')
  const hasSubject = channel === 'email' || channel === 'push'
  const { shown, current } = useDraftPreview({
    channel: channel as DraftPreviewRequest['channel'],
    subject: hasSubject ? draft.subject || null : null,
    body: draft.body,
    variables: draft.variables,
    // The text edited here is the template's main one, in English; translations are kept.
    language: 'en',
    customer_id: customer.trim() || null,
    values: {},
  })
  const unknown = shown.state === 'ready' ? shown.preview.unknown_variables : []
  const edit = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }))

  async function save() {
    setStatus('Saving…')
    try {
      const body = { ...draft, subject: hasSubject ? draft.subject || null : null, translations: template.translations }
      await saveTemplate(name, channel, body)
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
        {channel === 'sms' && <SmsFigures sms={shown.state === 'ready' ? shown.preview.sms : null} current={current} />}
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
