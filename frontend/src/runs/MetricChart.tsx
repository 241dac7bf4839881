import { useMemo } from 'react';
import type uPlot from 'uplot';
import { useUPlot } from '../common/chart/useUPlot';
import { onSteps, sharedSteps, type MetricSeries } from './metrics';

export const TRAIN_STROKE = '#2f5bd3';
export const EVAL_STROKE = '#c2410c';

/**
 * One uPlot line chart; uPlot draws to canvas and stays fast with 100k-point curves. With `steps`
 * (the x values every chart of a step shares) and a `syncKey`, charts of one step read on one x axis
 * and one cursor: hovering or zooming one moves them all. `evals` is drawn over `series` as points.
 */
export function MetricChart({
  series,
  evals = null,
  steps,
  syncKey,
  height = 180,
}: {
  series: MetricSeries;
  evals?: MetricSeries | null;
  steps?: number[];
  syncKey?: string;
  height?: number;
}) {
  const data = useMemo<uPlot.AlignedData>(() => {
    if (!steps && !evals) return [series.steps, series.values];
    const xs = steps ?? sharedSteps([{ name: series.name, train: series, evals }]);
    return evals ? [xs, onSteps(xs, series), onSteps(xs, evals)] : [xs, onSteps(xs, series)];
  }, [series, evals, steps]);
  const el = useUPlot(
    `${series.name}|${evals?.name ?? ''}|${syncKey ?? ''}`,
    {
      legend: { show: syncKey != null, live: true },
      cursor: { drag: { x: true, y: false }, ...(syncKey ? { sync: { key: syncKey } } : {}) },
      scales: { x: { time: false } },
      axes: [{ label: 'step', size: 36 }, { size: 56 }],
      series: [
        { label: 'step' },
        {
          label: series.name,
          stroke: TRAIN_STROKE,
          width: 1.5,
          spanGaps: true,
          points: { show: series.steps.length < 60 },
        },
        ...(evals
          ? [
              {
                label: evals.name,
                stroke: EVAL_STROKE,
                width: 1.5,
                dash: [4, 3],
                spanGaps: true,
                points: { show: true, size: 6, fill: EVAL_STROKE },
              },
            ]
          : []),
      ],
    },
    data,
    { height },
  );
  return (
    <div
      ref={el}
      className="metric-chart"
      aria-label={`${series.name}${evals ? ` and ${evals.name}` : ''} chart`}
      role="img"
      data-points={[series.steps.length, evals?.steps.length].filter((n) => n != null).join(',')}
    />
  );
}
