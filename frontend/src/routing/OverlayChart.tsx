import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
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
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const names = series.map((s) => s.name).join('\n');

  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const u = new uPlot(
      {
        width: Math.max(240, node.clientWidth || 420),
        height,
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
      aligned(series),
      node,
    );
    plot.current = u;
    const ro =
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver(() => {
            if (node.clientWidth) u.setSize({ width: node.clientWidth, height });
          });
    ro?.observe(node);
    return () => {
      ro?.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Re-create only when the set of series changes; new points go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [names, height]);

  useEffect(() => {
    plot.current?.setData(aligned(series));
  }, [series]);

  return <div ref={el} className="metric-chart" aria-label={`${label} chart`} role="img" />;
}

function aligned(series: MetricSeries[]): uPlot.AlignedData {
  const steps = [...new Set(series.flatMap((s) => s.steps))].sort((a, b) => a - b);
  const at = new Map(steps.map((s, i) => [s, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = Array(steps.length).fill(null);
    s.steps.forEach((step, i) => (y[at.get(step) as number] = s.values[i]));
    return y;
  });
  return [steps, ...ys];
}
