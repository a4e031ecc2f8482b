import { useEffect, useRef } from 'react'
import type { Change } from './diff'

/** The diff against the live version and who the trigger reaches now, before publishing. */
export function PublishDialog({
  changes,
  live,
  reach,
  busy,
  onPublish,
  onClose,
}: {
  changes: Change[]
  live: number | null
  reach: string
  busy: boolean
  onPublish: () => void
  onClose: () => void
}) {
  const dialog = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const open = dialog.current
    open?.showModal()
    return () => open?.close()
  }, [])
  return (
    <dialog ref={dialog} aria-labelledby="publish-title" onCancel={onClose} className="publish-dialog">
      <h2 id="publish-title">Publish {live ? `over live version ${live}` : 'the first version'}</h2>
      <p>{reach}</p>
      {live && (
        <>
          <h3>Changes against version {live}</h3>
          {changes.length === 0 ? (
            <p>The draft is the live version: publishing changes nothing.</p>
          ) : (
            <ul className="diff">
              {changes.map((c) => (
                <li key={`${c.change}-${c.what}`} className={c.change}>
                  <strong>
                    {c.change} {c.what}
                  </strong>{' '}
                  <span>{c.detail}</span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <p className="muted">Customers already in the chain stay on the version they entered.</p>
      <div className="actions">
        <button type="button" onClick={onPublish} disabled={busy}>
          Publish now
        </button>
        <button type="button" className="secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </dialog>
  )
}
