import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { XAxis } from './compareState';
import { alignCurves, type Curve } from './curves';

export const RUN_COLORS = [
  '#2f5bd3',
  '#d3542f',
  '#2f9e5b',
  '#9b2fd3',
  '#d3a12f',
  '#2fb5d3',
  '#7a7a7a',
  '#d32f8a',
  '#5b3a1f',
  '#1f5b4a',
];

const X_LABEL: Record<XAxis, string> = { step: 'step', tokens: 'tokens', time: 'wall time (s)' };

/** One metric of several runs on one uPlot chart: canvas, so 10 runs × 10k points stay interactive. */
export function CompareChart({
  metric,
  curves,
  labels,
  x,
  logY,
  height = 320,
}: {
  metric: string;
  curves: Curve[];
  labels: string[];
  x: XAxis;
  logY: boolean;
  height?: number;
}) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const key = `${labels.join('\n')}|${x}|${logY}|${metric}`;

  const data = (): uPlot.AlignedData => {
    const [xs, ...ys] = alignCurves(curves);
    // A log axis cannot show zero or negative values: they are left out rather than breaking the scale.
    return [xs, ...(logY ? ys.map((y) => y.map((v) => (v !== null && v > 0 ? v : null))) : ys)];
  };

  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const u = new uPlot(
      {
        width: Math.max(320, node.clientWidth || 720),
        height,
        legend: { show: true },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false }, y: { distr: logY ? 3 : 1 } },
        axes: [
          { label: X_LABEL[x], size: 40 },
          { label: metric, size: 64 },
        ],
        series: [
          {},
          ...labels.map((label, i) => ({
            label,
            stroke: RUN_COLORS[i % RUN_COLORS.length],
            width: 1.5,
            spanGaps: true,
          })),
        ],
      },
      data(),
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
    // Re-created for new runs, axes or metric; new smoothing only replaces the data.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, height]);

  useEffect(() => {
    plot.current?.setData(data());
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [curves]);

  return (
    <div
      ref={el}
      className="metric-chart compare-chart"
      role="img"
      aria-label={`${metric} of ${labels.length} runs`}
      data-testid="compare-chart"
      data-points={curves.map((c) => c.x.length).join(',')}
    />
  );
}
