import type { Grid } from './profile';

// A plain SVG heatmap: routing grids are small (layers × experts, experts × experts), so SVG keeps every
// cell an element with its own tooltip and text, and needs no charting library. The SVG is drawn at its
// natural pixel size inside a scrolling box, never scaled down, so labels stay 12 px.

export type Scale = { kind: 'sequential'; min: number; max: number } | { kind: 'diverging'; max: number };

const SEQUENTIAL = ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'];
const DIVERGING = ['#2166ac', '#92c5de', '#f7f7f7', '#f4a582', '#b2182b'];
const FONT = 12;
const CELL_W = 60;
const CELL_H = 28;
/** Past this many columns the values live in the tooltips only; the cells get too narrow for text. */
const MAX_TEXT_COLUMNS = 16;

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** The colour of `t` in [0, 1] along `stops`, interpolated in RGB. */
function ramp(stops: string[], t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const [a, b] = [rgb(stops[i]), rgb(stops[i + 1])];
  const f = x - i;
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

/** Where `v` falls on the scale, 0..1 (a diverging scale has 0 at the middle). */
export function position(scale: Scale, v: number): number {
  if (scale.kind === 'diverging') return scale.max > 0 ? 0.5 + v / (2 * scale.max) : 0.5;
  return scale.max > scale.min ? (v - scale.min) / (scale.max - scale.min) : 0;
}

export function cellColor(scale: Scale, v: number): string {
  const [r, g, b] = ramp(scale.kind === 'diverging' ? DIVERGING : SEQUENTIAL, position(scale, v));
  return `rgb(${r}, ${g}, ${b})`;
}

function textColor(fill: string): string {
  const [r, g, b] = (fill.match(/\d+/g) ?? ['255', '255', '255']).map(Number);
  return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#111' : '#fff';
}

/** The scale that spans a grid: sequential from its minimum (or 0) to its maximum; diverging symmetric. */
export function scaleFor(values: Grid, kind: Scale['kind']): Scale {
  const all = values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  if (kind === 'diverging') return { kind, max: Math.max(0, ...all.map(Math.abs)) };
  return { kind, min: Math.min(0, ...all), max: Math.max(0, ...all) };
}

export function formatCell(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  // at most 7 characters, so a value fits its cell: -0.0999, -1.4e-3
  if (a < 1e-2 || a >= 1e4) return v.toExponential(1);
  // three significant digits, without the trailing zeros of a fraction (0.5, not 0.500; 100 stays 100)
  return v
    .toPrecision(3)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

interface Props {
  label: string;
  rowLabels: string[];
  colLabels: string[];
  values: Grid;
  scale: Scale;
  /** The tooltip of a cell; `v` null for a cell the row does not have. */
  describe: (row: number, col: number, v: number | null) => string;
  testId?: string;
}

export function Heatmap({ label, rowLabels, colLabels, values, scale, describe, testId }: Props) {
  const left = 8 + FONT * 0.62 * Math.max(4, ...rowLabels.map((l) => l.length));
  const top = FONT + 12;
  const width = left + colLabels.length * CELL_W + 2;
  const height = top + rowLabels.length * CELL_H + 2;
  const showText = colLabels.length <= MAX_TEXT_COLUMNS;
  return (
    <figure className="heatmap" data-testid={testId}>
      <div className="heatmap-scroll">
        <svg width={width} height={height} role="img" aria-label={label} fontSize={FONT}>
          {colLabels.map((c, j) => (
            <text
              key={c}
              x={left + j * CELL_W + CELL_W / 2}
              y={FONT + 2}
              textAnchor="middle"
              className="heatmap-label"
            >
              {c}
            </text>
          ))}
          {rowLabels.map((r, i) => (
            <g key={r}>
              <text
                x={left - 6}
                y={top + i * CELL_H + CELL_H / 2 + FONT / 3}
                textAnchor="end"
                className="heatmap-label"
              >
                {r}
              </text>
              {colLabels.map((c, j) => {
                const v = values[i]?.[j] ?? null;
                const x = left + j * CELL_W;
                const y = top + i * CELL_H;
                const tip = describe(i, j, v);
                if (v === null)
                  return (
                    <g key={c} data-cell={`${i},${j}`} data-missing="true">
                      <title>{tip}</title>
                      <rect x={x} y={y} width={CELL_W - 1} height={CELL_H - 1} className="heatmap-missing" />
                    </g>
                  );
                const fill = cellColor(scale, v);
                return (
                  <g key={c} data-cell={`${i},${j}`} data-value={v}>
                    <title>{tip}</title>
                    <rect x={x} y={y} width={CELL_W - 1} height={CELL_H - 1} fill={fill} />
                    {showText && (
                      <text
                        x={x + CELL_W / 2}
                        y={y + CELL_H / 2 + FONT / 3}
                        textAnchor="middle"
                        fill={textColor(fill)}
                        aria-hidden="true"
                      >
                        {formatCell(v)}
                      </text>
                    )}
                  </g>
                );
              })}
            </g>
          ))}
        </svg>
      </div>
      <Legend scale={scale} />
    </figure>
  );
}

/** The colour bar with its low, middle and high values. */
export function Legend({ scale }: { scale: Scale }) {
  const [lo, hi] = scale.kind === 'diverging' ? [-scale.max, scale.max] : [scale.min, scale.max];
  const stops = scale.kind === 'diverging' ? DIVERGING : SEQUENTIAL;
  const gradient = `linear-gradient(to right, ${stops.join(', ')})`;
  return (
    <div className="heatmap-legend" aria-label={`colour scale from ${formatCell(lo)} to ${formatCell(hi)}`}>
      <span>{formatCell(lo)}</span>
      <span className="heatmap-legend-bar" style={{ background: gradient }} />
      <span>{formatCell(hi)}</span>
      {scale.kind === 'diverging' && <span className="muted">(white: no difference)</span>}
    </div>
  );
}
