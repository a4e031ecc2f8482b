import { useDebouncedAnswer } from '../common/useDebounced'
import { validate } from './api'
import type { Definition } from './definition'
import { fieldErrors, type FieldError } from './errors'

export type Verdict = { state: 'checking' } | { state: 'checked'; errors: FieldError[] } | { state: 'failed'; message: string }

/** The API's validation of the definition, asked again a moment after each edit. */
export function useValidation(definition: Definition): Verdict {
  const answer = useDebouncedAnswer((signal) => validate(definition, signal), [definition])
  if (answer.state === 'answered') return { state: 'checked', errors: answer.answer ? fieldErrors(answer.answer.errors) : [] }
  if (answer.state === 'failed') return answer
  return { state: 'checking' }
}
