import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricSeries } from './metrics';

/** One uPlot line chart; uPlot draws to canvas and stays fast with 100k-point curves. */
export function MetricChart({ series, height = 180 }: { series: MetricSeries; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const width = Math.max(240, node.clientWidth || 420);
    const u = new uPlot(
      {
        width,
        height,
        legend: { show: false },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false } },
        axes: [{ label: 'step', size: 36 }, { size: 56 }],
        series: [
          {},
          { label: series.name, stroke: '#2f5bd3', width: 1.5, points: { show: series.steps.length < 60 } },
        ],
      },
      [series.steps, series.values],
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
    // Re-create only for a new metric; new points go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [series.name, height]);

  useEffect(() => {
    plot.current?.setData([series.steps, series.values]);
  }, [series]);

  return <div ref={el} className="metric-chart" aria-label={`${series.name} chart`} role="img" />;
}
