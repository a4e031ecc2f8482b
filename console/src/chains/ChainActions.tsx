import { useState } from 'react'
import type { Chain } from '../api/types'
import { actionsFor, chainAction, type ChainAction } from './chains'

const QUESTIONS: Record<ChainAction, string> = {
  pause: 'Pause this chain? No one new enters it; customers already in it continue.',
  resume: 'Resume this chain? New customers enter it again.',
  archive: 'Archive this chain? It stops for good and cannot be resumed.',
}

/** Pause, resume and archive, each confirmed first. */
export function ChainActions({ chain, onDone }: { chain: Chain; onDone: () => void }) {
  const [error, setError] = useState<string | null>(null)

  async function run(action: ChainAction) {
    if (!window.confirm(QUESTIONS[action])) return
    try {
      await chainAction(chain.id, action)
      setError(null)
      onDone()
    } catch (caught) {
      setError((caught as Error).message)
    }
  }

  return (
    <span className="actions">
      {actionsFor(chain.status).map((action) => (
        <button
          key={action}
          type="button"
          className="small"
          aria-label={`${action} ${chain.name} (${chain.id})`}
          onClick={() => run(action)}
        >
          {action}
        </button>
      ))}
      {error && (
        <span role="alert" className="error">
          {error}
        </span>
      )}
    </span>
  )
}
