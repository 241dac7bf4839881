// Validates the spec as the user types: one request per pause in typing, the previous one aborted, so
// a slow answer for old text never overwrites the answer for the current text.
import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { SpecValidation } from '../../api/catalogTypes';

export const VALIDATE_DELAY_MS = 400;

export interface ValidationState {
  /** The answer for `text` (undefined until the first one arrives, and while text is empty). */
  result: SpecValidation | undefined;
  /** The text `result` answers; differs from the current text while a check is pending. */
  checkedText: string | undefined;
  pending: boolean;
  error: Error | undefined;
}

export function useSpecValidation(text: string, delayMs = VALIDATE_DELAY_MS): ValidationState {
  const [state, setState] = useState<ValidationState>({
    result: undefined,
    checkedText: undefined,
    pending: false,
    error: undefined,
  });

  useEffect(() => {
    if (text.trim() === '') {
      setState({ result: undefined, checkedText: undefined, pending: false, error: undefined });
      return;
    }
    setState((s) => ({ ...s, pending: true }));
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      api
        .validateSpec(text, ctl.signal)
        .then((result) => {
          if (!ctl.signal.aborted) setState({ result, checkedText: text, pending: false, error: undefined });
        })
        .catch((e: unknown) => {
          if (ctl.signal.aborted) return;
          setState((s) => ({ ...s, pending: false, error: e instanceof Error ? e : new Error(String(e)) }));
        });
    }, delayMs);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [text, delayMs]);

  return state;
}
