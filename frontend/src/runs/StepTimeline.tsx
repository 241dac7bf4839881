import { Link } from 'react-router-dom';
import type { Step } from '../api/types';
import { formatDuration } from '../common/format';
import { buildTimeline, tickStepMs } from './runGraph';

interface Props {
  steps: Step[];
  selected: string | null;
  hrefFor: (stepId: string) => string;
  now?: number;
}

/** Gantt of steps and their attempts, plain divs; bar positions are fractions of the run's span. */
export function StepTimeline({ steps, selected, hrefFor, now }: Props) {
  const t = buildTimeline(steps, now);
  if (!t) return <p className="empty">No step has started yet.</p>;
  const total = t.endMs - t.startMs;
  const tick = tickStepMs(total);
  const ticks: number[] = [];
  for (let ms = 0; ms <= total; ms += tick) ticks.push(ms);
  return (
    <div className="timeline" role="table" aria-label="Step timeline">
      <div className="timeline-row timeline-axis" role="row">
        <div className="timeline-label" role="columnheader">
          Step
        </div>
        <div className="timeline-track" role="columnheader">
          {ticks.map((ms) => (
            <span key={ms} className="timeline-tick" style={{ left: `${(ms / total) * 100}%` }}>
              +{formatDuration(new Date(0).toISOString(), new Date(ms).toISOString())}
            </span>
          ))}
        </div>
      </div>
      {t.rows.map((row) => (
        <div
          key={row.stepId}
          className={`timeline-row${row.stepId === selected ? ' selected' : ''}`}
          role="row"
        >
          <div className="timeline-label" role="rowheader">
            <Link to={hrefFor(row.stepId)}>{row.stepId}</Link>
          </div>
          <div className="timeline-track" role="cell">
            {row.bars.map((b) => (
              <span
                key={b.attempt}
                className={`timeline-bar bar-${b.status.toLowerCase().replace('_', '-')}${b.running ? ' bar-live' : ''}`}
                style={{ left: `${b.left * 100}%`, width: `${b.width * 100}%` }}
                title={`${row.stepId} #${b.attempt} ${b.status}${b.worker ? ` on ${b.worker}` : ''} · ${formatDuration(
                  new Date(b.startMs).toISOString(),
                  new Date(b.endMs).toISOString(),
                )}`}
                data-testid={`bar-${row.stepId}-${b.attempt}`}
              >
                {row.bars.length > 1 && <span className="bar-text">#{b.attempt}</span>}
              </span>
            ))}
          </div>
        </div>
      ))}
    </div>
  );
}
