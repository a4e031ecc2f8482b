import { useMemo } from 'react'
import { EChart, type ChartOption } from '../charts/EChart'

/** Customers per recency bucket, from active to lost. */
export function RecencyChart({ buckets }: { buckets: { label: string; customers: number }[] }) {
  const option = useMemo<ChartOption>(
    () => ({
      animation: false,
      tooltip: {},
      grid: { left: 50, right: 20, top: 20, bottom: 40 },
      xAxis: { type: 'category', data: buckets.map((b) => b.label) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        {
          type: 'bar',
          data: buckets.map((b) => b.customers),
          itemStyle: { color: '#1f4e99' },
          label: { show: true, position: 'top' },
        },
      ],
    }),
    [buckets],
  )
  const summary = buckets.map((b) => `${b.label} ${b.customers}`).join(', ')
  return <EChart option={option} label={`Recency buckets: ${summary}`} height={260} />
}
