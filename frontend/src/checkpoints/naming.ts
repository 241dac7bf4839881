// How a checkpoint is named wherever it is listed (registry, pickers, evals, lineage): by what made it,
// `<template>/<step>`, with the run's short id and its aliases beside it, never by a bare hash.
import { formatMetric } from '../common/format';

export interface Nameable {
  id: string;
  name?: string | null;
  template?: string | null;
  producedBy?: { runId: string; stepId: string } | null;
}

/** `run-4431d25377ba725719e3` → `4431d253`: enough to tell a template's runs apart. */
export function shortRunId(runId: string): string {
  return runId.replace(/^run-/, '').slice(0, 8);
}

/** `<template>/<step>` for what a step wrote; a registered name, else the start of the hash. */
export function checkpointName(a: Nameable): string {
  if (a.producedBy && a.template) return `${a.template}/${a.producedBy.stepId}`;
  if (a.name) return a.name;
  if (a.producedBy) return a.producedBy.stepId;
  return a.id.replace(/^sha256:/, '').slice(0, 12);
}

export interface Scored {
  metric: string;
  value: number;
}

export function formatBestEval(b: Scored | null | undefined): string {
  return b ? `${b.metric} ${formatMetric(b.value)}` : '';
}

/** Scored checkpoints first, best score first (lower first where lower is better); the rest keep their order. */
export function sortByBestEval<T extends { bestEval?: (Scored & { higherIsBetter: boolean }) | null }>(
  items: T[],
): T[] {
  const key = (a: T) =>
    a.bestEval ? (a.bestEval.higherIsBetter ? a.bestEval.value : -a.bestEval.value) : null;
  return items
    .map((a, i) => ({ a, i, k: key(a) }))
    .sort((x, y) =>
      x.k === null ? (y.k === null ? x.i - y.i : 1) : y.k === null ? -1 : y.k - x.k || x.i - y.i,
    )
    .map((x) => x.a);
}

/** A picker's filter: the typed text anywhere in the name, the step, the run id or an alias, any case. */
export function matchesCheckpoint(a: Nameable & { aliases?: string[] | null }, text: string): boolean {
  const q = text.trim().toLowerCase();
  if (!q) return true;
  return [checkpointName(a), a.producedBy?.stepId, a.producedBy?.runId, a.id, ...(a.aliases ?? [])].some(
    (s) => s && s.toLowerCase().includes(q),
  );
}
