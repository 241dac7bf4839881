// Lineage graphs as the API returns them (`artifact:<id>`, `step:<run>/<step>/<attempt>` nodes), merged
// across walks so a graph can grow as the user expands nodes.
import type { Lineage, LineageEdge, LineageNode } from '../api/types';
import { shortRunId } from '../checkpoints/naming';

/** The naming fields of a node nothing is known about (no step wrote it, or it is gone). */
export const NO_ORIGIN = { runId: null, stepId: null, kind: null, template: null, aliases: [] as string[] };

export interface MergedLineage {
  nodes: LineageNode[];
  edges: LineageEdge[];
}

export function mergeLineages(parts: (Lineage | MergedLineage | undefined | null)[]): MergedLineage {
  const nodes = new Map<string, LineageNode>();
  const edges = new Map<string, LineageEdge>();
  for (const p of parts) {
    if (!p) continue;
    for (const n of p.nodes) if (!nodes.has(n.id)) nodes.set(n.id, n);
    for (const e of p.edges) edges.set(`${e.from}\u0000${e.to}\u0000${e.role}`, e);
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

export function artifactIdOf(nodeId: string): string | null {
  return nodeId.startsWith('artifact:') ? nodeId.slice('artifact:'.length) : null;
}

export interface StepRef {
  runId: string;
  stepId: string;
  attempt: string;
}

export function stepRefOf(nodeId: string): StepRef | null {
  if (!nodeId.startsWith('step:')) return null;
  const [runId, stepId, attempt] = nodeId.slice('step:'.length).split('/');
  return runId && stepId ? { runId, stepId, attempt: attempt ?? '' } : null;
}

/** Dashboard route for a node: an artifact's page, or the run with the step selected. */
export function hrefOf(nodeId: string): string | null {
  const a = artifactIdOf(nodeId);
  if (a) return `/artifacts/${encodeURIComponent(a)}`;
  const s = stepRefOf(nodeId);
  return s ? `/runs/${encodeURIComponent(s.runId)}?step=${encodeURIComponent(s.stepId)}` : null;
}

export interface ImpactRow {
  node: LineageNode;
  /** Edges from the root to this node. */
  depth: number;
}

/**
 * Every artifact downstream of the root, nearest first: "every model trained, directly or not, on
 * this dataset version". Steps are the hops between them and are not listed.
 */
export function impactOf(descendants: Lineage): ImpactRow[] {
  const out = new Map<string, string[]>();
  for (const e of descendants.edges) {
    let list = out.get(e.from);
    if (!list) out.set(e.from, (list = []));
    list.push(e.to);
  }
  const depth = new Map<string, number>([[descendants.root, 0]]);
  const queue = [descendants.root];
  while (queue.length) {
    const id = queue.shift()!;
    for (const next of out.get(id) ?? []) {
      if (depth.has(next)) continue;
      depth.set(next, depth.get(id)! + 1);
      queue.push(next);
    }
  }
  const byId = new Map(descendants.nodes.map((n) => [n.id, n]));
  return [...depth.entries()]
    .filter(([id]) => id !== descendants.root && id.startsWith('artifact:'))
    .map(([id, d]) => ({
      node: byId.get(id) ?? { id, type: 'artifact', label: id, deleted: false, origin: null, ...NO_ORIGIN },
      depth: d,
    }))
    .sort(
      (a, b) => a.depth - b.depth || (a.node.label ?? a.node.id).localeCompare(b.node.label ?? b.node.id),
    );
}

/**
 * What a lineage node says on its face: a step by its step id (`kind · template` below), an
 * artifact a step wrote as `<template>/<step>` (its type below), the run's short id beside either.
 */
export function nodeText(n: LineageNode): { label: string; sub: string; run: string | null } {
  const run = n.runId ? shortRunId(n.runId) : null;
  if (n.type === 'step') {
    if (!n.stepId) return { label: n.label, sub: 'step', run };
    return { label: n.stepId, sub: [n.kind, n.template].filter(Boolean).join(' · ') || 'step', run };
  }
  const label =
    n.template && n.stepId
      ? `${n.template}/${n.stepId}`
      : n.label || (artifactIdOf(n.id) ?? n.id).slice(0, 12);
  return { label, sub: n.type, run };
}
