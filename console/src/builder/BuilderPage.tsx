import { memo, useCallback, useEffect, useState } from 'react'
import '../common/editing.css'
import { ApiError } from '../api/client'
import { chainHref } from '../common/route'
import { Status } from '../common/Status'
import { useApi } from '../common/useApi'
import { BuilderCanvas } from './BuilderCanvas'
import { customersIn, messageTemplateNames, publish, readChain, readVersion, saveDraft } from './api'
import { ChainSettings } from './ChainSettings'
import { addStep, connect, freshId, moveStep, removeStep, replaceStep, STEP_KINDS, withDefaults, type Definition, type Step, type StepKind } from './definition'
import { diffDefinitions } from './diff'
import { DryRunTimeline } from './dryrun/DryRunTimeline'
import { fieldErrors, type FieldError } from './errors'
import { push, redo, start, undo, type History } from './history'
import { JsonView } from './JsonView'
import { PublishDialog } from './PublishDialog'
import { StepForm } from './StepForm'
import { useValidation } from './useValidation'
import { TRIGGER_ID } from '../chains/graph'

type Loaded = { definition: Definition; live: Definition | null; liveVersion: number | null; templates: string[] }

async function load(chainId: string): Promise<Loaded> {
  const [chain, templates] = await Promise.all([readChain(chainId), messageTemplateNames()])
  const live = chain.active_version ? (await readVersion(chainId, chain.active_version)).definition : null
  return { definition: withDefaults(chain.draft), live, liveVersion: chain.active_version, templates }
}

/** Who the trigger reaches, in words for the publish confirmation. */
async function reachOf(definition: Definition): Promise<string> {
  const trigger = definition.trigger
  const segments = trigger.kind === 'segment_entered' ? trigger.segments : definition.audience.segment_id ? [definition.audience.segment_id] : []
  if (!segments.length) return `Starts on ${trigger.kind === 'event' ? trigger.event : `the ${trigger.kind}`} for every customer it names.`
  const customers = await customersIn(segments)
  return `${customers} customer${customers === 1 ? ' is' : 's are'} in ${segments.join(', ')} now.`
}

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.matches('input, textarea, select') || target.isContentEditable)
}

type Saving = { state: 'idle' | 'saving' | 'saved' } | { state: 'failed'; message: string }

type Change = (definition: Definition) => Definition

/** One step in the list; drawn again only when its own step, place or marks change. */
const OutlineRow = memo(function OutlineRow({ step, index, last, chosen, flagged, onSelect, onChange }: {
  step: Step
  index: number
  last: boolean
  chosen: boolean
  flagged: boolean
  onSelect: (id: string) => void
  onChange: (change: Change) => void
}) {
  return (
    <li className={chosen ? 'chosen' : undefined}>
      <button type="button" className="link" aria-current={chosen ? 'step' : undefined} onClick={() => onSelect(step.id)}>
        {index + 1}. {step.id} <span className="muted">{step.kind.replace('_', ' ')}</span>
        {flagged ? ' ⚠' : ''}
      </button>
      <span className="actions">
        <button type="button" className="small" aria-label={`Move ${step.id} up`} disabled={index === 0} onClick={() => onChange((d) => moveStep(d, index, -1))}>↑</button>
        <button type="button" className="small" aria-label={`Move ${step.id} down`} disabled={last} onClick={() => onChange((d) => moveStep(d, index, 1))}>↓</button>
        <button type="button" className="small" aria-label={`Remove ${step.id}`} disabled={index === 0 && last} onClick={() => onChange((d) => removeStep(d, index))}>✕</button>
      </span>
    </li>
  )
})

function Outline({ definition, selected, errors, onSelect, onChange }: {
  definition: Definition
  selected: string | null
  errors: FieldError[]
  onSelect: (id: string) => void
  onChange: (change: Change) => void
}) {
  const [kind, setKind] = useState<StepKind>('send')
  const at = definition.steps.findIndex((s) => s.id === selected)
  const flagged = new Set(errors.map((e) => e.step))
  const count = definition.steps.length
  return (
    <nav aria-label="Steps" className="outline">
      <button type="button" className={`link${selected === TRIGGER_ID ? ' chosen' : ''}`} onClick={() => onSelect(TRIGGER_ID)}>
        Chain settings{flagged.has(null) ? ' ⚠' : ''}
      </button>
      <ol>
        {definition.steps.map((step, i) => (
          <OutlineRow key={step.id} step={step} index={i} last={i === count - 1} chosen={selected === step.id} flagged={flagged.has(i)}
            onSelect={onSelect} onChange={onChange} />
        ))}
      </ol>
      <div className="add-step">
        <label htmlFor="new-step-kind">New step</label>
        <select id="new-step-kind" value={kind} onChange={(e) => setKind(e.target.value as StepKind)}>
          {STEP_KINDS.map((k) => (
            <option key={k} value={k}>{k.replace('_', ' ')}</option>
          ))}
        </select>
        <button type="button" className="small" onClick={() => {
          onChange((d) => addStep(d, kind, at >= 0 ? at : d.steps.length - 2))
          onSelect(freshId(definition.steps, kind))
        }}>
          Add {at >= 0 ? `after ${selected}` : 'before the last step'}
        </button>
      </div>
    </nav>
  )
}

function Problems({ errors, definition, onSelect }: { errors: FieldError[]; definition: Definition; onSelect: (id: string) => void }) {
  if (!errors.length) return null
  return (
    <section aria-labelledby="problems-title" className="problems">
      <h2 id="problems-title">{errors.length} problem{errors.length === 1 ? '' : 's'}</h2>
      <ul>
        {errors.map((e, i) => {
          const step = e.step === null ? null : definition.steps[e.step]
          return (
            <li key={i}>
              <button type="button" className="link" onClick={() => onSelect(step ? step.id : TRIGGER_ID)}>
                {step ? `step ${step.id}` : 'chain settings'}
                {e.field ? ` · ${e.field}` : ''}
              </button>
              : {e.message}
            </li>
          )
        })}
      </ul>
    </section>
  )
}

function Editor({ chainId, loaded }: { chainId: string; loaded: Loaded }) {
  const [history, setHistory] = useState<History<Definition>>(() => start(loaded.definition))
  const [selected, setSelected] = useState<string | null>(TRIGGER_ID)
  const [showJson, setShowJson] = useState(false)
  const [saving, setSaving] = useState<Saving>({ state: 'idle' })
  const [saveErrors, setSaveErrors] = useState<FieldError[]>([])
  const [publishing, setPublishing] = useState<{ reach: string; busy: boolean } | null>(null)
  const [live, setLive] = useState({ definition: loaded.live, version: loaded.liveVersion })
  const definition = history.present
  const verdict = useValidation(definition)
  const errors = verdict.state === 'checked' ? verdict.errors : saveErrors
  // Edits are changes of the current draft, so handlers stay the same from edit to edit.
  const change = useCallback((apply: Change) => {
    setHistory((h) => push(h, apply(h.present)))
    setSaving({ state: 'idle' })
  }, [])
  const edit = useCallback((next: Definition) => change(() => next), [change])
  const link = useCallback((source: string, target: string) => change((d) => connect(d, source, target)), [change])

  useEffect(() => {
    const keys = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || isTyping(event.target)) return
      const key = event.key.toLowerCase()
      if (key === 'z' && !event.shiftKey) setHistory(undo)
      else if (key === 'y' || (key === 'z' && event.shiftKey)) setHistory(redo)
      else return
      event.preventDefault()
    }
    window.addEventListener('keydown', keys)
    return () => window.removeEventListener('keydown', keys)
  }, [])

  async function save(): Promise<boolean> {
    setSaving({ state: 'saving' })
    try {
      await saveDraft(definition)
      setSaving({ state: 'saved' })
      setSaveErrors([])
      return true
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setSaveErrors(fieldErrors(error.errors))
      setSaving({ state: 'failed', message: error instanceof Error ? error.message : String(error) })
      return false
    }
  }

  async function review() {
    if (!(await save())) return
    setPublishing({ reach: 'Counting the customers in the trigger segment…', busy: false })
    const reach = await reachOf(definition).catch(() => 'The trigger segment could not be counted.')
    setPublishing((p) => p && { ...p, reach })
  }

  async function confirmPublish() {
    setPublishing((p) => p && { ...p, busy: true })
    try {
      const version = await publish(chainId)
      setLive({ definition: version.definition, version: version.version })
      setPublishing(null)
      setSaving({ state: 'idle' })
      window.location.hash = chainHref(chainId)
    } catch (error) {
      setPublishing(null)
      setSaving({ state: 'failed', message: error instanceof Error ? error.message : String(error) })
    }
  }

  const index = definition.steps.findIndex((s) => s.id === selected)
  const step = definition.steps[index]
  return (
    <>
      <div className="toolbar" role="toolbar" aria-label="Draft">
        <button type="button" onClick={() => setHistory(undo)} disabled={!history.past.length} aria-keyshortcuts="Control+Z">Undo</button>
        <button type="button" onClick={() => setHistory(redo)} disabled={!history.future.length} aria-keyshortcuts="Control+Y">Redo</button>
        <button type="button" onClick={save} disabled={saving.state === 'saving'}>Save draft</button>
        <button type="button" onClick={review} disabled={verdict.state === 'checked' && verdict.errors.length > 0}>Review and publish</button>
        <button type="button" className="secondary" aria-pressed={showJson} onClick={() => setShowJson((s) => !s)}>JSON view</button>
        <span role="status" className="verdict">
          {verdict.state === 'checking' && 'Checking…'}
          {verdict.state === 'checked' && (verdict.errors.length ? `${verdict.errors.length} problem${verdict.errors.length === 1 ? '' : 's'}` : 'No problems')}
          {verdict.state === 'failed' && `Could not check: ${verdict.message}`}
          {saving.state === 'saved' && ' · Draft saved'}
          {saving.state === 'failed' && ` · Not saved: ${saving.message}`}
        </span>
      </div>
      <div className="builder">
        <Outline definition={definition} selected={selected} errors={errors} onSelect={setSelected} onChange={change} />
        <div className="builder-main">
          <BuilderCanvas definition={definition} errors={errors} selected={selected} onSelect={setSelected}
            onConnect={link} />
          {showJson && <JsonView definition={definition} onChange={edit} />}
          <Problems errors={errors} definition={definition} onSelect={setSelected} />
          <DryRunTimeline chainId={chainId} definition={definition} />
        </div>
        <aside className="inspector" aria-label="Selected">
          {step ? (
            <StepForm key={index} step={step} index={index} definition={definition} errors={errors} templates={loaded.templates}
              onChange={(next) => {
                edit(replaceStep(definition, index, next))
                if (next.id !== step.id) setSelected(next.id)
              }} />
          ) : (
            <ChainSettings definition={definition} errors={errors} onChange={edit} />
          )}
        </aside>
      </div>
      {publishing && (
        <PublishDialog changes={live.definition ? diffDefinitions(live.definition, definition) : []} live={live.version}
          reach={publishing.reach} busy={publishing.busy} onPublish={confirmPublish} onClose={() => setPublishing(null)} />
      )}
    </>
  )
}

/** The chain builder: a draft edited on the canvas, checked by the API as the marketer types. */
export default function BuilderPage({ chainId }: { chainId: string }) {
  const loaded = useApi(() => load(chainId), [chainId])
  return (
    <section aria-labelledby="builder-title">
      <p>
        <a href={chainHref(chainId)}>← The chain</a>
      </p>
      <h1 id="builder-title">Edit the draft of {chainId}</h1>
      <Status loaded={loaded}>{(data) => <Editor chainId={chainId} loaded={data} />}</Status>
    </section>
  )
}
