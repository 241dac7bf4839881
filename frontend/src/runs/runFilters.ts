import type { RunFilter, RunStatus } from '../api/types';

/** The runs list's filters, as the URL carries them (a filtered list is a shareable deep link). */
export const FILTER_KEYS = [
  'status',
  'template',
  'team',
  'launchedBy',
  'createdFrom',
  'createdTo',
  'q',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type RunFilters = Record<FilterKey, string>;

export function filtersFromUrl(search: URLSearchParams): RunFilters {
  return Object.fromEntries(FILTER_KEYS.map((k) => [k, search.get(k)?.trim() ?? ''])) as RunFilters;
}

/** Sets one filter in the URL, dropping it when empty and keeping unrelated parameters. */
export function withFilter(search: URLSearchParams, key: FilterKey, value: string): URLSearchParams {
  const next = new URLSearchParams(search);
  if (value.trim()) next.set(key, value.trim());
  else next.delete(key);
  return next;
}

export function hasFilters(f: RunFilters): boolean {
  return FILTER_KEYS.some((k) => f[k] !== '');
}

/** What the API is asked: the same names, empty ones left out by the client. */
export function toApiFilter(f: RunFilters): RunFilter {
  return { ...f, status: f.status as RunStatus | '' };
}
