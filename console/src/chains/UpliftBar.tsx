import type { Uplift } from '../api/types'
import { percent } from '../common/format'

const WIDTH = 120
const SPAN = 0.2 // ±20 percentage points across the bar

function x(share: number): number {
  const clamped = Math.max(-SPAN, Math.min(SPAN, share))
  return ((clamped + SPAN) / (2 * SPAN)) * WIDTH
}

/** Conversion uplift (treated − holdout) with its 95 % interval, drawn around zero. */
export function UpliftBar({ uplift }: { uplift: Uplift | null }) {
  if (!uplift) return <span className="muted">no holdout yet</span>
  const label =
    `${percent(uplift.difference)} ` +
    `(95 % interval ${percent(uplift.ci95_low)} to ${percent(uplift.ci95_high)})`
  const positive = uplift.ci95_low > 0
  return (
    <span className="uplift">
      <svg width={WIDTH} height={14} role="img" aria-label={`Uplift ${label}`}>
        <line x1={x(0)} x2={x(0)} y1={0} y2={14} className="axis" />
        <rect
          x={x(uplift.ci95_low)}
          width={Math.max(2, x(uplift.ci95_high) - x(uplift.ci95_low))}
          y={4}
          height={6}
          className={positive ? 'interval positive' : 'interval'}
        />
        <circle cx={x(uplift.difference)} cy={7} r={3} className="point" />
      </svg>
      <span>{percent(uplift.difference)}</span>
    </span>
  )
}
