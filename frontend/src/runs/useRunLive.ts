import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { Run } from '../api/types';

/**
 * Follows the run's server-sent events while `active`; `live` is true while the stream delivers.
 * Without the events endpoint (404) or when the stream drops, `live` is false and the caller polls.
 */
export function useRunLive(id: string, active: boolean, onRun: (run: Run) => void): boolean {
  const [live, setLive] = useState(false);
  useEffect(() => {
    if (!active) return;
    const ctl = new AbortController();
    api
      .streamRunEvents(
        id,
        (run) => {
          setLive(true);
          onRun(run);
        },
        ctl.signal,
      )
      .catch(() => undefined)
      .finally(() => {
        if (!ctl.signal.aborted) setLive(false);
      });
    return () => {
      ctl.abort();
      setLive(false);
    };
    // onRun is expected to be stable (useApi's mutate)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, active]);
  return live;
}
