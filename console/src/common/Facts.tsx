import type { ReactNode } from 'react'

/** A row of labelled figures (`dl.figures`), each label over its value. */
export function Facts({ facts }: { facts: [string, ReactNode][] }) {
  return (
    <dl className="figures">
      {facts.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  )
}
