import { useMemo } from 'react';
import type uPlot from 'uplot';
import { useUPlot } from '../common/chart/useUPlot';
import type { MetricSeries } from './metrics';

/** One uPlot line chart; uPlot draws to canvas and stays fast with 100k-point curves. */
export function MetricChart({ series, height = 180 }: { series: MetricSeries; height?: number }) {
  const data = useMemo<uPlot.AlignedData>(() => [series.steps, series.values], [series]);
  const el = useUPlot(
    series.name,
    {
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [{ label: 'step', size: 36 }, { size: 56 }],
      series: [
        {},
        { label: series.name, stroke: '#2f5bd3', width: 1.5, points: { show: series.steps.length < 60 } },
      ],
    },
    data,
    { height },
  );
  return <div ref={el} className="metric-chart" aria-label={`${series.name} chart`} role="img" />;
}
