import { useMemo } from 'react'
import { EChart, type ChartOption } from '../charts/EChart'
import { NAMES, rfmCells } from './rfm'

const SCORES = ['1', '2', '3', '4', '5']

/** The RFM grid: recency score up, frequency-monetary score across, darker = more customers. */
export function RfmHeatMap({ counts }: { counts: Record<string, number> }) {
  const option = useMemo<ChartOption>(() => {
    const cells = rfmCells(counts)
    const most = Math.max(1, ...cells.map((c) => c.customers))
    return {
      animation: false,
      tooltip: {
        formatter: (p: { data: [number, number, number, string] }) =>
          `${NAMES[p.data[3]]}: ${p.data[2]} customers`,
      },
      grid: { left: 70, right: 20, top: 10, bottom: 70 },
      xAxis: { type: 'category', data: SCORES, name: 'Frequency + monetary', nameLocation: 'middle', nameGap: 30 },
      yAxis: { type: 'category', data: SCORES, name: 'Recency', nameLocation: 'middle', nameGap: 40 },
      visualMap: { min: 0, max: most, dimension: 2, show: false, inRange: { color: ['#dfe7f4', '#1f4e99'] } },
      series: [
        {
          type: 'heatmap',
          data: cells.map((c) => [c.fm - 1, c.recency - 1, c.customers, c.segment]),
          itemStyle: { borderColor: '#fff', borderWidth: 2 },
          label: {
            lineHeight: 14,
            color: '#1b1f24',
            textBorderColor: '#fff',
            textBorderWidth: 2,
            show: true,
            formatter: (p: { data: [number, number, number, string] }) =>
              `${NAMES[p.data[3]]}\n${p.data[2]}`,
            fontSize: 10,
          },
        },
      ],
    }
  }, [counts])
  const summary = Object.entries(counts)
    .map(([key, n]) => `${NAMES[key] ?? key} ${n}`)
    .join(', ')
  return <EChart option={option} label={`RFM heat map: ${summary}`} height={380} />
}
