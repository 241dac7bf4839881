import type { RunPage } from '../api/types';

/** Appends the next keyset page, dropping rows already shown (a run can move across a page edge). */
export function appendPage(prev: RunPage, next: RunPage): RunPage {
  const seen = new Set(prev.items.map((r) => r.id));
  return {
    items: [...prev.items, ...next.items.filter((r) => !seen.has(r.id))],
    nextCursor: next.nextCursor,
  };
}

/**
 * Merges a refresh of the first `fresh.items.length` rows into what is on screen: the refreshed head
 * replaces the old head, rows loaded further down are kept with their cursor.
 */
export function mergeRefresh(prev: RunPage | undefined, fresh: RunPage, limit: number): RunPage {
  if (!prev || prev.items.length <= limit || fresh.items.length < limit) return fresh;
  const ids = new Set(fresh.items.map((r) => r.id));
  const lastFresh = fresh.items[fresh.items.length - 1];
  const cut = prev.items.findIndex((r) => r.id === lastFresh.id);
  const tail = prev.items.slice(cut < 0 ? limit : cut + 1).filter((r) => !ids.has(r.id));
  return { items: [...fresh.items, ...tail], nextCursor: prev.nextCursor };
}
