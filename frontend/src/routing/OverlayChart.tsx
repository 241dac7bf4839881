import { useMemo } from 'react';
import { alignOnX, useUPlot } from '../common/chart/useUPlot';
import type { MetricSeries } from '../runs/metrics';

const COLORS = ['#2f5bd3', '#d3542f', '#2f9e5b', '#9b2fd3', '#d3a12f', '#2fb5d3', '#7a7a7a', '#d32f8a'];

/** Several series on one uPlot chart (e.g. every layer's router entropy), aligned on the union of their steps. */
export function OverlayChart({
  label,
  series,
  height = 180,
}: {
  label: string;
  series: MetricSeries[];
  height?: number;
}) {
  const data = useMemo(() => alignOnX(series.map((s) => ({ x: s.steps, y: s.values }))), [series]);
  const el = useUPlot(
    series.map((s) => s.name).join('\n'),
    {
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [{ label: 'step', size: 36 }, { size: 56 }],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.name,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: true,
        })),
      ],
    },
    data,
    { height },
  );
  return <div ref={el} className="metric-chart" aria-label={`${label} chart`} role="img" />;
}
