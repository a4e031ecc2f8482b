import { useState } from 'react'
import { withDefaults, type Definition } from './definition'

export function asText(definition: Definition): string {
  return JSON.stringify(definition, null, 2)
}

/** Text to a definition, or the reason it is not one yet (the API checks the rest). */
export function parseDefinition(text: string): Definition | string {
  try {
    const value: unknown = JSON.parse(text)
    if (!value || typeof value !== 'object' || !Array.isArray((value as Definition).steps)) {
      return 'a chain is an object with a "steps" list'
    }
    return withDefaults(value as Definition)
  } catch (error) {
    return (error as Error).message
  }
}

/**
 * The draft as JSON for power users. Text that parses becomes the draft at once (and the canvas
 * follows); text that does not stays here with the reason, and the draft keeps its last value.
 */
export function JsonView({ definition, onChange }: { definition: Definition; onChange: (d: Definition) => void }) {
  const [typed, setTyped] = useState<{ text: string; base: Definition; problem: string } | null>(null)
  // Once the draft changes elsewhere (the canvas, undo), the text shows it again.
  const shown = typed && typed.base === definition ? typed : { text: asText(definition), problem: '' }
  return (
    <div className="json-view">
      <label htmlFor="chain-json">The draft as JSON</label>
      <textarea
        id="chain-json"
        spellCheck={false}
        value={shown.text}
        aria-invalid={shown.problem ? true : undefined}
        aria-describedby="chain-json-problem"
        onChange={(e) => {
          const parsed = parseDefinition(e.target.value)
          if (typeof parsed === 'string') setTyped({ text: e.target.value, base: definition, problem: parsed })
          else {
            setTyped({ text: e.target.value, base: parsed, problem: '' })
            onChange(parsed)
          }
        }}
      />
      <p id="chain-json-problem" className="error" role="status">
        {shown.problem && `Not applied: ${shown.problem}`}
      </p>
    </div>
  )
}
