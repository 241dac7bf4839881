import { useCallback, useEffect, useRef, useState } from 'react';

export interface ApiState<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** Fetch again now; keeps the current data on screen meanwhile. */
  reload: () => void;
  /** Replace the data, e.g. with the Run a POST returned. */
  setData: (data: T) => void;
  /** Replace the data without fetching again, e.g. with a pushed server event. */
  mutate: (data: T) => void;
}

export interface UseApiOptions<T> {
  /** Re-fetch every this many ms. */
  pollMs?: number;
  /** Stop polling once this is true for the latest data. */
  stopWhen?: (data: T) => boolean;
}

/**
 * Loads `load` when `deps` change, optionally polling. Stale responses (from an earlier key) are dropped.
 */
export function useApi<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: unknown[],
  opts: UseApiOptions<T> = {},
): ApiState<T> {
  const [data, setDataState] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const optsRef = useRef(opts);
  optsRef.current = opts;

  // New key: forget the previous data so a page never shows another entity's details.
  useEffect(() => {
    setDataState(undefined);
    setError(undefined);
    setLoading(true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  useEffect(() => {
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    loadRef
      .current(ctl.signal)
      .then((d) => {
        if (ctl.signal.aborted) return;
        setDataState(d);
        setError(undefined);
        const { pollMs, stopWhen } = optsRef.current;
        if (pollMs && !(stopWhen && stopWhen(d))) timer = setTimeout(() => setTick((t) => t + 1), pollMs);
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        setError(e instanceof Error ? e : new Error(String(e)));
        const { pollMs } = optsRef.current;
        // keep polling through transient errors, a little slower
        if (pollMs) timer = setTimeout(() => setTick((t) => t + 1), pollMs * 2);
      })
      .finally(() => {
        if (!ctl.signal.aborted) setLoading(false);
      });
    return () => {
      ctl.abort();
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  const setData = useCallback((d: T) => {
    setDataState(d);
    setTick((t) => t + 1); // restarts polling from the new state
  }, []);

  const mutate = useCallback((d: T) => {
    setDataState(d);
    setError(undefined);
  }, []);

  return { data, error, loading, reload, setData, mutate };
}
