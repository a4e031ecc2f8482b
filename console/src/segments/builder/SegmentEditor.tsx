import { useState } from 'react'
import '../../common/editing.css'
import { ApiError } from '../../api/client'
import { count } from '../../common/format'
import { segmentEditHref } from '../../common/route'
import { Status } from '../../common/Status'
import { useApi } from '../../common/useApi'
import { useDebouncedAnswer } from '../../common/useDebounced'
import { TextField } from '../../builder/fields'
import { listSegments } from '../segments'
import { createSegment, deleteSegment, previewRule, readSegment, replaceSegment, type Preview } from './api'
import { RuleBuilder } from './RuleBuilder'
import { newRule, problemsByRule, type Rule } from './rules'

type Shown = { state: 'checking' } | { state: 'ready'; preview: Preview } | { state: 'invalid'; problems: Map<string, string[]> } | { state: 'failed'; message: string }

function problemsOf(error: ApiError): Map<string, string[]> {
  return problemsByRule(error.errors.map((e) => ({ path: e.path ?? e.field, reason: e.reason ?? e.message })))
}

/** The count and sample of the rule as it stands, asked again a moment after each change. */
function usePreview(rule: Rule): Shown {
  const answer = useDebouncedAnswer((signal) => previewRule(rule, signal), [rule])
  if (answer.state === 'answered') {
    return answer.answer instanceof ApiError ? { state: 'invalid', problems: problemsOf(answer.answer) } : { state: 'ready', preview: answer.answer }
  }
  return answer.state === 'failed' ? answer : { state: 'checking' }
}

function PreviewPanel({ shown }: { shown: Shown }) {
  return (
    <section className="panel preview" aria-labelledby="preview-title" aria-live="polite">
      <h2 id="preview-title">Who it holds now</h2>
      {shown.state === 'checking' && <p>Counting…</p>}
      {shown.state === 'invalid' && <p className="error">Fix the problems marked in the rule to see who it holds.</p>}
      {shown.state === 'failed' && <p className="error">Could not count: {shown.message}</p>}
      {shown.state === 'ready' && (
        <>
          <p className="big-count">{count(shown.preview.count)} customers</p>
          <h3>A sample</h3>
          <ul className="sample">
            {shown.preview.sample.map((id) => (
              <li key={id}>
                <a href={`#/customers/${encodeURIComponent(id)}`}>{id}</a>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}

type Draft = { name: string; description: string; rule: Rule }

function Editor({ segmentId, draft: initial, segments }: { segmentId: string | null; draft: Draft; segments: string[] }) {
  const [draft, setDraft] = useState(initial)
  const [saved, setSaved] = useState<{ state: 'idle' | 'saving' | 'saved' } | { state: 'failed'; message: string; problems: Map<string, string[]> }>({ state: 'idle' })
  const shown = usePreview(draft.rule)
  const problems = shown.state === 'invalid' ? shown.problems : saved.state === 'failed' ? saved.problems : new Map<string, string[]>()
  const edit = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }))
    setSaved({ state: 'idle' })
  }

  async function save() {
    setSaved({ state: 'saving' })
    const body = { name: draft.name, description: draft.description || null, definition: draft.rule }
    try {
      const segment = segmentId ? await replaceSegment(segmentId, body) : await createSegment(body)
      setSaved({ state: 'saved' })
      if (!segmentId) window.location.hash = segmentEditHref(segment.id)
    } catch (error) {
      const failed = error instanceof ApiError ? { message: `${error.code}: ${error.message}`, problems: problemsOf(error) } : { message: String(error), problems: new Map() }
      setSaved({ state: 'failed', ...failed })
    }
  }

  async function remove() {
    if (!segmentId || !window.confirm(`Delete the segment ${draft.name}? Its members leave it.`)) return
    try {
      await deleteSegment(segmentId)
      window.location.hash = '#/segments'
    } catch (error) {
      setSaved({ state: 'failed', message: error instanceof Error ? error.message : String(error), problems: new Map() })
    }
  }

  return (
    <div className="segment-editor">
      <div className="editor-form">
        <TextField label="Segment name" value={draft.name} onChange={(name) => edit({ name })} />
        <TextField label="Description" value={draft.description} onChange={(description) => edit({ description })} />
        <RuleBuilder root={draft.rule} path={[]} problems={problems} segments={segments.filter((s) => s !== segmentId)} onChange={(rule) => edit({ rule })} />
        <div className="toolbar">
          <button type="button" onClick={save} disabled={!draft.name.trim() || saved.state === 'saving'}>
            {segmentId ? 'Save a new version' : 'Create the segment'}
          </button>
          {segmentId && (
            <button type="button" className="secondary" onClick={remove}>
              Delete the segment
            </button>
          )}
          <span role="status">
            {saved.state === 'saved' && 'Saved'}
            {saved.state === 'failed' && <span className="error">Not saved: {saved.message}</span>}
          </span>
        </div>
      </div>
      <PreviewPanel shown={shown} />
    </div>
  )
}

async function load(segmentId: string | null): Promise<{ segmentId: string | null; draft: Draft; segments: string[] }> {
  const [segments, segment] = await Promise.all([listSegments(), segmentId ? readSegment(segmentId) : null])
  const draft = segment
    ? { name: segment.name, description: segment.description ?? '', rule: segment.definition ?? newRule('segment') }
    : { name: '', description: '', rule: { and: [newRule('segment')] } }
  return { segmentId, draft, segments: segments.map((s) => s.id) }
}

/** A rule segment built from conditions, with who it holds updating as the rule changes. */
export default function SegmentEditor({ segmentId }: { segmentId: string | null }) {
  const loaded = useApi(() => load(segmentId), [segmentId])
  return (
    <section aria-labelledby="segment-editor-title">
      <p>
        <a href="#/segments">← All segments</a>
      </p>
      <h1 id="segment-editor-title">{segmentId ? `Edit the segment ${segmentId}` : 'New segment'}</h1>
      <Status loaded={loaded}>
        {(data) =>
          // Until the segment just created loads, the answer on screen is the previous one's.
          data.segmentId === segmentId ? (
            <Editor key={segmentId ?? 'new'} segmentId={segmentId} draft={data.draft} segments={data.segments} />
          ) : (
            <p role="status">Loading…</p>
          )
        }
      </Status>
    </section>
  )
}
