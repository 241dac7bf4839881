import type { ReactNode } from 'react';
import { checkpointName, shortRunId, type Nameable } from './naming';

/**
 * A checkpoint's name with the run's short id and alias chips; the full ids are in the tooltip.
 * `children` replaces the name's text (e.g. a link around it).
 */
export function CheckpointLabel({
  a,
  aliases = [],
  children,
}: {
  a: Nameable;
  aliases?: string[];
  children?: ReactNode;
}) {
  const title = [a.id, a.producedBy ? `run ${a.producedBy.runId}, step ${a.producedBy.stepId}` : null]
    .filter(Boolean)
    .join('\n');
  return (
    <span className="ckpt-label" title={title}>
      <span className="ckpt-name">{children ?? checkpointName(a)}</span>
      {a.producedBy && <span className="chip chip-run">{shortRunId(a.producedBy.runId)}</span>}
      {aliases.map((x) => (
        <span key={x} className="chip alias">
          {x}
        </span>
      ))}
    </span>
  );
}
