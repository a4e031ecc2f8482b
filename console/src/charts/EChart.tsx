import { BarChart, HeatmapChart, LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components'
import * as echarts from 'echarts/core'
import { SVGRenderer } from 'echarts/renderers'
import { useEffect, useRef } from 'react'

// Only what the console draws, so the bundle carries no unused chart types.
echarts.use([
  BarChart,
  HeatmapChart,
  LineChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  SVGRenderer,
])

export type ChartOption = echarts.EChartsCoreOption

/** One ECharts chart; `label` is what a screen reader hears, the table beside it the detail. */
export function EChart({ option, label, height = 320 }: { option: ChartOption; label: string; height?: number }) {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const chart = echarts.init(host.current!, undefined, { renderer: 'svg' })
    chart.setOption(option)
    const resize = () => chart.resize()
    window.addEventListener('resize', resize)
    return () => {
      window.removeEventListener('resize', resize)
      chart.dispose()
    }
  }, [option])
  return <div ref={host} role="img" aria-label={label} style={{ height }} className="chart" />
}
