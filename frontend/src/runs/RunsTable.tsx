import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import { Link } from 'react-router-dom';
import type { RunSummary } from '../api/types';
import { formatDuration, formatTime } from '../common/format';
import { StatusBadge } from '../common/StatusBadge';

const ROW_PX = 37;

interface Props {
  runs: RunSummary[];
  /** Called when the last rows scroll into view: load the next server page. */
  onEndReached?: () => void;
  /** Run ids ticked for comparison; with `onToggle`, each row gets a checkbox. */
  selected?: ReadonlySet<string>;
  onToggle?: (id: string) => void;
}

/**
 * Virtualised: only the rows in view are in the DOM, so a list of many thousand runs scrolls as
 * fast as one of fifty. ARIA table roles keep it a table to assistive technology.
 */
export function RunsTable({ runs, onEndReached, selected, onToggle }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({
    count: runs.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_PX,
    overscan: 12,
  });
  const items = v.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : -1;

  useEffect(() => {
    if (onEndReached && lastIndex >= runs.length - 5 && runs.length > 0) onEndReached();
  }, [lastIndex, runs.length, onEndReached]);

  return (
    <div className="vtable" role="table" aria-label="Runs" aria-rowcount={runs.length + 1}>
      <div className={`vrow vhead${onToggle ? ' vrow-select' : ''}`} role="row">
        {onToggle && (
          <span role="columnheader" className="sr-only">
            Compare
          </span>
        )}
        <span role="columnheader">Run</span>
        <span role="columnheader">Template</span>
        <span role="columnheader">Status</span>
        <span role="columnheader">Created</span>
        <span role="columnheader">Duration</span>
        <span role="columnheader">Launched by</span>
      </div>
      <div className="vscroll" ref={scroller} role="rowgroup">
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const r = runs[item.index];
            return (
              <div
                key={r.id}
                className={`vrow${onToggle ? ' vrow-select' : ''}`}
                role="row"
                aria-rowindex={item.index + 2}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  height: ROW_PX,
                  transform: `translateY(${item.start}px)`,
                }}
              >
                {onToggle && (
                  <span role="cell">
                    <input
                      type="checkbox"
                      aria-label={`Compare ${r.id}`}
                      checked={selected?.has(r.id) ?? false}
                      onChange={() => onToggle(r.id)}
                    />
                  </span>
                )}
                <span role="cell">
                  <Link to={`/runs/${encodeURIComponent(r.id)}`}>{r.id}</Link>
                </span>
                <span role="cell">
                  {r.template}@{r.templateVersion}
                </span>
                <span role="cell">
                  <StatusBadge status={r.status} />
                </span>
                <span role="cell">{formatTime(r.createdAt)}</span>
                <span role="cell">{formatDuration(r.startedAt, r.finishedAt)}</span>
                <span role="cell">{r.launchedBy ?? <span className="muted">—</span>}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
