import { useMemo } from 'react';
import type uPlot from 'uplot';
import { useUPlot } from '../common/chart/useUPlot';
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
  const data = useMemo<uPlot.AlignedData>(() => {
    const [xs, ...ys] = alignCurves(curves);
    // A log axis cannot show zero or negative values: they are left out rather than breaking the scale.
    return [xs, ...(logY ? ys.map((y) => y.map((v) => (v !== null && v > 0 ? v : null))) : ys)];
  }, [curves, logY]);
  // Built again for new runs, axes or metric; new smoothing only replaces the data.
  const el = useUPlot(
    `${labels.join('\n')}|${x}|${logY}|${metric}`,
    {
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
    data,
    { height, minWidth: 320, defaultWidth: 720 },
  );

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
