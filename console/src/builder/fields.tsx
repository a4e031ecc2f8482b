import { useId, type ReactNode } from 'react'

type Common = { label: string; errors?: string[]; hint?: string }

/** A labelled control with the API's messages for it under it, announced with the field. */
function Labelled({ label, errors = [], hint, children }: Common & { children: (id: string, described?: string) => ReactNode }) {
  const id = useId()
  const described = errors.length || hint ? `${id}-help` : undefined
  return (
    <div className={`field${errors.length ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children(id, described)}
      {described && (
        <div id={described} className="field-help">
          {hint && <span className="muted">{hint}</span>}
          {errors.map((message) => (
            <span key={message} className="error">
              {message}
            </span>
          ))}
        </div>
      )}
    </div>
  )
}

export function TextField({ value, onChange, type, ...common }: Common & { value: string; onChange: (v: string) => void; type?: 'text' | 'datetime-local' }) {
  return (
    <Labelled {...common}>
      {(id, described) => (
        <input
          id={id}
          type={type}
          value={value}
          aria-invalid={common.errors?.length ? true : undefined}
          aria-describedby={described}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Labelled>
  )
}

/** A whole number; an empty or unreadable field keeps the text so the API can name the problem. */
export function NumberField({
  value,
  onChange,
  step,
  ...common
}: Common & { value: number | null | undefined; onChange: (v: number | null) => void; step?: number }) {
  return (
    <Labelled {...common}>
      {(id, described) => (
        <input
          id={id}
          type="number"
          step={step ?? 1}
          value={value ?? ''}
          aria-invalid={common.errors?.length ? true : undefined}
          aria-describedby={described}
          onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}
        />
      )}
    </Labelled>
  )
}

export function SelectField<T extends string>({
  value,
  options,
  onChange,
  ...common
}: Common & { value: T; options: readonly (T | { value: T; label: string })[]; onChange: (v: T) => void }) {
  return (
    <Labelled {...common}>
      {(id, described) => (
        <select
          id={id}
          value={value}
          aria-invalid={common.errors?.length ? true : undefined}
          aria-describedby={described}
          onChange={(e) => onChange(e.target.value as T)}
        >
          {options.map((o) => {
            const { value: v, label } = typeof o === 'string' ? { value: o, label: o } : o
            return (
              <option key={v} value={v}>
                {label}
              </option>
            )
          })}
        </select>
      )}
    </Labelled>
  )
}

export function CheckField({ label, checked, onChange }: { label: string; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <label className="check">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} /> {label}
    </label>
  )
}

/** A comma-separated list of words (categories, cities, segment ids). */
export function ListField({ value, onChange, ...common }: Common & { value: string[] | null | undefined; onChange: (v: string[]) => void }) {
  return (
    <TextField
      {...common}
      value={(value ?? []).join(', ')}
      onChange={(text) => onChange(text.trim() === '' ? [] : text.split(',').map((w) => w.trim()).filter((w, i, all) => w !== '' || i === all.length - 1))}
    />
  )
}
