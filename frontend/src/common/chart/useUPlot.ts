import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * Mounts one uPlot chart (canvas, so 10 × 10k-point curves stay interactive) in the returned ref's
 * element, as wide as the element and following it when it resizes. The chart is built again only
 * when `shape` or the height changes; new `data` goes through setData, so a live curve does not
 * rebuild the canvas at each poll. Callers memoise `data` when it is costly to compute.
 */
export function useUPlot(
  shape: string,
  options: Omit<uPlot.Options, 'width' | 'height'>,
  data: uPlot.AlignedData,
  {
    height,
    minWidth = 240,
    defaultWidth = 420,
  }: { height: number; minWidth?: number; defaultWidth?: number },
) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shown = useRef<uPlot.AlignedData | null>(null);
  const latest = useRef({ options, data });
  latest.current = { options, data };

  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const { options: opts, data: first } = latest.current;
    const u = new uPlot(
      { ...opts, width: Math.max(minWidth, node.clientWidth || defaultWidth), height },
      first,
      node,
    );
    plot.current = u;
    shown.current = first;
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
  }, [shape, height, minWidth, defaultWidth]);

  useEffect(() => {
    if (plot.current && shown.current !== data) {
      plot.current.setData(data);
      shown.current = data;
    }
  }, [data]);

  return el;
}

/** Curves with their own x values on one x axis: the union of the xs, null where a curve has no point. */
export function alignOnX(
  curves: { x: number[]; y: (number | null)[] }[],
): [number[], ...(number | null)[][]] {
  const xs = [...new Set(curves.flatMap((c) => c.x))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  return [
    xs,
    ...curves.map((c) => {
      const y: (number | null)[] = Array(xs.length).fill(null);
      c.x.forEach((x, i) => (y[at.get(x)!] = c.y[i]));
      return y;
    }),
  ];
}
