import { MetricChart } from '../runs/MetricChart';
import { formatCell, Heatmap, scaleFor } from './Heatmap';
import type { ExpertLoad } from './expertLoad';
import { OverlayChart } from './OverlayChart';

const HELP = {
  load: "each expert's share of the layer's routed choices at the latest logged step (a row sums to 1)",
  frequency: 'share of tokens whose top k holds the expert (a row sums to k)',
};

/** The routing of an MoE step: the latest layer × expert load, router entropy and the router losses. */
export function ExpertLoadPanel({ load, live }: { load: ExpertLoad; live: boolean }) {
  const title = load.quantity === 'load' ? 'Expert load' : 'Expert frequency';
  return (
    <section aria-label={title} className="expert-load" data-testid="expert-load">
      <h4>
        {title}{' '}
        <span className="muted small" data-testid="expert-load-step">
          step {load.step}
          {live ? ' · updating live' : ''}
        </span>
      </h4>
      <p className="muted small">
        {HELP[load.quantity]}; uniform is{' '}
        {load.layerExperts.every((n) => n === load.layerExperts[0])
          ? formatCell(1 / load.layerExperts[0])
          : '1 / experts of the layer'}
        .
      </p>
      <Heatmap
        label={`${title.toLowerCase()} per layer and expert at step ${load.step}`}
        testId="expert-load-heatmap"
        rowLabels={load.grid.map((_, i) => `layer ${i}`)}
        colLabels={Array.from({ length: load.grid[0]?.length ?? 0 }, (_, j) => `E${j}`)}
        values={load.grid}
        scale={scaleFor(load.grid, 'sequential')}
        describe={(i, j, v) =>
          v === null
            ? `layer ${i} logged ${load.layerExperts[i]} experts`
            : `layer ${i}, expert ${j}: ${load.quantity} ${formatCell(v)} at step ${load.step}`
        }
      />
      <div className="charts">
        {load.entropy.length > 0 && (
          <figure className="chart-card">
            <figcaption>
              <strong>router entropy per layer</strong>{' '}
              <span className="muted small">
                last {load.entropy.map((s) => `${s.name} ${formatCell(s.last)}`).join(', ')}
              </span>
            </figcaption>
            <OverlayChart label="router entropy" series={load.entropy} />
          </figure>
        )}
        {load.losses.map((s) => (
          <figure key={s.name} className="chart-card">
            <figcaption>
              <strong>{s.name}</strong>{' '}
              <span className="muted small">
                last {formatCell(s.last)} · {s.steps.length} points
              </span>
            </figcaption>
            <MetricChart series={s} />
          </figure>
        ))}
      </div>
    </section>
  );
}
