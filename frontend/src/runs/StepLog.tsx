import { useEffect, useRef, useState } from 'react';
import { api, isNotAvailable } from '../api/client';
import { ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';

const TAIL_LINES = 400;

/** The tail of a step attempt's log; re-read every two seconds while the attempt runs, scrolled to the end. */
export function StepLog({
  runId,
  stepId,
  attempt,
  live,
}: {
  runId: string;
  stepId: string;
  attempt?: number;
  live: boolean;
}) {
  const log = useApi((s) => api.getStepLog(runId, stepId, s, attempt), [runId, stepId, attempt], {
    pollMs: 2000,
    stopWhen: () => !live,
  });
  const [all, setAll] = useState(false);
  const pre = useRef<HTMLPreElement>(null);
  const text = log.data ?? '';
  const lines = text.split('\n');
  const cut = !all && lines.length > TAIL_LINES;
  const shown = cut ? lines.slice(-TAIL_LINES).join('\n') : text;

  useEffect(() => {
    const el = pre.current;
    if (el && live) el.scrollTop = el.scrollHeight;
  }, [shown, live]);

  // The step has not written a log yet: the server answers 404, which is not an error to the user.
  const missing = log.error && isNotAvailable(log.error);
  return (
    <div className="step-log">
      <div className="toolbar">
        <strong>Log</strong>
        {live && <span className="live-dot">live</span>}
        {cut && (
          <button className="small" onClick={() => setAll(true)}>
            show all {lines.length} lines
          </button>
        )}
        <button className="small" onClick={log.reload}>
          Refresh
        </button>
      </div>
      {log.error && !missing && <ErrorBox error={log.error} title="Could not load log" />}
      {missing && <p className="muted">No log yet.</p>}
      {log.loading && log.data === undefined && !log.error && <Loading what="Loading log" />}
      {log.data !== undefined &&
        (text === '' ? (
          <p className="muted">The log is empty.</p>
        ) : (
          <pre className="log" ref={pre} tabIndex={0} aria-label={`log of ${stepId}`}>
            {cut && (
              <span className="muted">
                … {lines.length - TAIL_LINES} earlier lines hidden{'\n'}
              </span>
            )}
            {shown}
          </pre>
        ))}
    </div>
  );
}
