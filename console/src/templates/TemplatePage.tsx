import { useState, type FormEvent } from 'react'
import { ApiError } from '../api/client'
import type { Preview, Template } from '../api/types'
import { Status } from '../common/Status'
import { useApi } from '../common/useApi'
import { SmsFacts } from './SmsFacts'
import { getTemplate, previewTemplate, type Channel } from './templates'

function Text({ subject, body }: { subject: string | null; body: string }) {
  return (
    <>
      {subject !== null && (
        <p>
          <strong>Subject:</strong> {subject}
        </p>
      )}
      <pre className="template-body">{body}</pre>
    </>
  )
}

function PreviewForm({ template }: { template: Template }) {
  const [customer, setCustomer] = useState('')
  const [preview, setPreview] = useState<Preview | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  async function render(event: FormEvent) {
    event.preventDefault()
    setProblem(null)
    try {
      setPreview(await previewTemplate(template.name, template.channel as Channel, customer.trim()))
    } catch (error) {
      setPreview(null)
      setProblem(error instanceof ApiError ? `${error.message} (${error.code})` : String(error))
    }
  }
  return (
    <section className="panel" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview for a customer</h2>
      <form className="lookup" onSubmit={render}>
        <label htmlFor="preview-customer">Customer id</label>
        <input id="preview-customer" value={customer} onChange={(e) => setCustomer(e.target.value)} autoComplete="off" />
        <button type="submit">Preview</button>
      </form>
      {problem && <p role="alert" className="error">{problem}</p>}
      {preview && (
        <div aria-label="Rendered preview" role="region">
          <p className="muted">
            In {preview.language}
            {preview.sampled_variables.length ? `; sample values for ${preview.sampled_variables.join(', ')}` : ''}
          </p>
          <Text subject={preview.subject} body={preview.body} />
          {preview.sms && <SmsFacts sms={preview.sms} />}
        </div>
      )}
    </section>
  )
}

/** One template on one channel, read-only: its text, SMS cost, and a preview for a customer. */
export default function TemplatePage({ name, channel }: { name: string; channel: string }) {
  const template = useApi(() => getTemplate(name, channel as Channel), [name, channel])
  return (
    <section aria-labelledby="template-title">
      <p>
        <a href="#/templates">← All templates</a>
      </p>
      <h1 id="template-title">
        {name} <span className="muted">{channel}</span>
      </h1>
      <Status loaded={template}>
        {(t) => (
          <div className="panels">
            <section className="panel" aria-labelledby="text-title">
              <h2 id="text-title">Text</h2>
              <p className="muted">
                {t.category}, {t.origin}; variables: {t.variables.join(', ') || 'none'}; languages:{' '}
                {['default', ...Object.keys(t.translations)].join(', ')}
              </p>
              <Text subject={t.subject} body={t.body} />
              {t.sms && <SmsFacts sms={t.sms} />}
            </section>
            <PreviewForm template={t} />
          </div>
        )}
      </Status>
    </section>
  )
}
