import { useMemo } from 'react'
import type { Uplift } from '../api/types'
import { EChart, type ChartOption } from '../charts/EChart'
import { money, percent } from '../common/format'
import type { FunnelRow, Series } from './results'

const TREATED = '#1f4e99'
const HOLDOUT = '#b5651d'

/** Reached per step, treated and holdout side by side, first step on top. */
export function FunnelChart({ rows }: { rows: FunnelRow[] }) {
  const option = useMemo<ChartOption>(() => {
    const steps = rows.map((r) => r.step.replaceAll('_', ' ')).reverse()
    return {
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { data: ['treated', 'holdout'], top: 0 },
      grid: { left: 140, right: 40, top: 30, bottom: 30 },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: steps },
      series: [
        { name: 'treated', type: 'bar', data: rows.map((r) => r.treated).reverse(), itemStyle: { color: TREATED }, label: { show: true, position: 'right' } },
        { name: 'holdout', type: 'bar', data: rows.map((r) => r.holdout).reverse(), itemStyle: { color: HOLDOUT }, label: { show: true, position: 'right' } },
      ],
    }
  }, [rows])
  const summary = rows.map((r) => `${r.step} ${r.treated} treated, ${r.holdout} holdout`).join('; ')
  return <EChart option={option} label={`Funnel by step: ${summary}`} height={Math.max(220, rows.length * 44)} />
}

/** A daily figure as two lines, treated against holdout; money is drawn in major units. */
export function DailyChart({ series, name, isMoney = false }: { series: Series; name: string; isMoney?: boolean }) {
  const option = useMemo<ChartOption>(() => {
    const shown = (xs: number[]) => (isMoney ? xs.map((x) => x / 100) : xs)
    return {
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { data: ['treated', 'holdout'], top: 0 },
      grid: { left: 60, right: 20, top: 30, bottom: 40 },
      xAxis: { type: 'category', data: series.dates },
      yAxis: { type: 'value', minInterval: isMoney ? 0 : 1 },
      series: [
        { name: 'treated', type: 'line', data: shown(series.treated), itemStyle: { color: TREATED }, symbolSize: 8 },
        { name: 'holdout', type: 'line', data: shown(series.holdout), itemStyle: { color: HOLDOUT }, symbolSize: 8 },
      ],
    }
  }, [series, isMoney])
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
  const show = isMoney ? money : String
  const label = `Daily ${name}: ${show(total(series.treated))} treated, ${show(total(series.holdout))} holdout over ${series.dates.length} days`
  return <EChart option={option} label={label} height={260} />
}

const WIDTH = 420
const HEIGHT = 64

/** The uplift with its 95 % interval as an error bar on an axis through zero. */
export function ErrorBar({ uplift }: { uplift: Uplift }) {
  const span = Math.max(0.05, Math.abs(uplift.ci95_low), Math.abs(uplift.ci95_high)) * 1.2
  const x = (share: number) => 20 + ((share + span) / (2 * span)) * (WIDTH - 40)
  const label =
    `Conversion uplift ${percent(uplift.difference)}, 95 % interval ` +
    `${percent(uplift.ci95_low)} to ${percent(uplift.ci95_high)}`
  return (
    <svg width={WIDTH} height={HEIGHT} role="img" aria-label={label} className="error-bar">
      <line x1={20} x2={WIDTH - 20} y1={44} y2={44} className="axis" />
      <line x1={x(0)} x2={x(0)} y1={8} y2={50} className="zero" />
      <text x={x(0)} y={62} textAnchor="middle">0</text>
      <text x={20} y={62}>{percent(-span, 0)}</text>
      <text x={WIDTH - 20} y={62} textAnchor="end">{percent(span, 0)}</text>
      <line x1={x(uplift.ci95_low)} x2={x(uplift.ci95_high)} y1={24} y2={24} className="whisker" />
      <line x1={x(uplift.ci95_low)} x2={x(uplift.ci95_low)} y1={16} y2={32} className="whisker" />
      <line x1={x(uplift.ci95_high)} x2={x(uplift.ci95_high)} y1={16} y2={32} className="whisker" />
      <circle cx={x(uplift.difference)} cy={24} r={5} className={uplift.ci95_low > 0 ? 'point positive' : 'point'} />
    </svg>
  )
}
