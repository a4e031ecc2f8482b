import { useState, type FormEvent } from 'react'
import { ApiError } from '../api/client'
import { signIn, type SessionInfo } from './session'

const REFUSALS: Record<string, string> = {
  session_scope: 'This key cannot sign in: only marketer keys open the console.',
  unauthorized: 'This key is unknown, expired or revoked.',
}

export function SignIn({ onSignedIn }: { onSignedIn: (session: SessionInfo) => void }) {
  const [key, setKey] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const session = await signIn(key.trim())
      setKey('')
      onSignedIn(session)
    } catch (caught) {
      const code = caught instanceof ApiError ? caught.code : ''
      setError(REFUSALS[code] ?? `Sign-in failed: ${(caught as Error).message}`)
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="sign-in">
      <h1>Retention console</h1>
      <form onSubmit={submit} aria-describedby={error ? 'sign-in-error' : undefined}>
        <label htmlFor="key">Marketer key</label>
        <input
          id="key"
          name="key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={key}
          onChange={(event) => setKey(event.target.value)}
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p id="sign-in-error" role="alert" className="error">
            {error}
          </p>
        )}
      </form>
    </main>
  )
}
