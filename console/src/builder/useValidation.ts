import { useEffect, useState } from 'react'
import { validate } from './api'
import type { Definition } from './definition'
import { fieldErrors, type FieldError } from './errors'

// Long enough that typing a word sends one call, short enough to feel immediate.
export const VALIDATE_DELAY_MS = 400

export type Verdict = { state: 'checking' } | { state: 'checked'; errors: FieldError[] } | { state: 'failed'; message: string }

/** The API's validation of the definition, asked again a moment after each edit. */
export function useValidation(definition: Definition): Verdict {
  const [verdict, setVerdict] = useState<Verdict>({ state: 'checking' })
  useEffect(() => {
    const aborted = new AbortController()
    const timer = window.setTimeout(() => {
      validate(definition, aborted.signal).then(
        (problem) => !aborted.signal.aborted && setVerdict({ state: 'checked', errors: problem ? fieldErrors(problem.errors) : [] }),
        (error: unknown) => {
          if (!aborted.signal.aborted) setVerdict({ state: 'failed', message: String(error) })
        },
      )
    }, VALIDATE_DELAY_MS)
    return () => {
      window.clearTimeout(timer)
      aborted.abort()
    }
  }, [definition])
  return verdict
}
