// A run's steps as a graph, and as timeline rows. Pure functions; components only draw them.
import type { Step, StepStatus } from '../api/types';

export interface StepEdge {
  from: string;
  to: string;
}

/**
 * Edges from each step's `needs`. A need naming a matrix step (`shard`) that was expanded into
 * `shard-0`, `shard-1`… points at every expansion.
 */
export function stepEdges(steps: Step[]): StepEdge[] {
  const ids = new Set(steps.map((s) => s.id));
  const edges: StepEdge[] = [];
  for (const s of steps) {
    for (const need of s.needs) {
      if (ids.has(need)) {
        edges.push({ from: need, to: s.id });
        continue;
      }
      const expansion = new RegExp(`^${need.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`);
      for (const other of steps) if (expansion.test(other.id)) edges.push({ from: other.id, to: s.id });
    }
  }
  return edges;
}

/** The spec step an expanded matrix step came from: `shard-2` → `shard` when `shard` is not itself a step. */
export function specStepId(stepId: string, steps: { id: string }[]): string {
  const m = /^(.*)-\d+$/.exec(stepId);
  if (!m) return stepId;
  return steps.some((s) => s.id === m[1]) ? stepId : m[1];
}

export interface TimelineBar {
  stepId: string;
  attempt: number;
  status: StepStatus;
  worker: string | null;
  /** Fractions of the whole span, 0..1. */
  left: number;
  width: number;
  running: boolean;
  startMs: number;
  endMs: number;
}

export interface Timeline {
  startMs: number;
  endMs: number;
  rows: { stepId: string; status: StepStatus; bars: TimelineBar[] }[];
}

/** Gantt rows: one per step, one bar per attempt that started; running attempts reach `now`. */
export function buildTimeline(steps: Step[], now = Date.now()): Timeline | null {
  const spans: { step: Step; a: Step['attempts'][number]; s: number; e: number }[] = [];
  for (const step of steps) {
    for (const a of step.attempts) {
      if (!a.startedAt) continue;
      const s = Date.parse(a.startedAt);
      const e = a.finishedAt ? Date.parse(a.finishedAt) : now;
      if (Number.isNaN(s)) continue;
      spans.push({ step, a, s, e: Math.max(s, Number.isNaN(e) ? now : e) });
    }
  }
  if (spans.length === 0) return null;
  const startMs = Math.min(...spans.map((x) => x.s));
  // A floor of one second keeps instant steps visible and avoids dividing by zero.
  const endMs = Math.max(startMs + 1000, ...spans.map((x) => x.e));
  const total = endMs - startMs;
  const rows = steps.map((step) => ({
    stepId: step.id,
    status: step.status,
    bars: spans
      .filter((x) => x.step === step)
      .map(({ a, s, e }) => ({
        stepId: step.id,
        attempt: a.attempt,
        status: a.status,
        worker: a.worker,
        left: (s - startMs) / total,
        width: Math.max((e - s) / total, 0.004),
        running: !a.finishedAt,
        startMs: s,
        endMs: e,
      })),
  }));
  return { startMs, endMs, rows };
}

/** Round tick spacing for a span: 1, 2, 5 × 10^n seconds, about `count` ticks. */
export function tickStepMs(totalMs: number, count = 6): number {
  const raw = totalMs / count;
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400].map(
    (s) => s * 1000,
  );
  return steps.find((s) => s >= raw) ?? steps[steps.length - 1];
}

export interface DagNode {
  /** A step id, or for a collapsed matrix fan-out the spec step's id (`shard` for `shard-0…`). */
  id: string;
  steps: Step[];
  /** Set for a matrix fan-out: the spec step all `steps` were expanded from. */
  matrix?: string;
}

/** The status a group shows: any failure first, then anything still going, else the common end. */
const STATUS_RANK: StepStatus[] = [
  'FAILED',
  'RUNNING',
  'WAITING_APPROVAL',
  'PENDING',
  'CANCELLED',
  'SKIPPED',
  'SUCCEEDED',
  'REUSED',
];
export function groupStatus(steps: Step[]): StepStatus {
  return STATUS_RANK.find((s) => steps.some((x) => x.status === s)) ?? steps[0].status;
}

/**
 * The DAG's nodes with each matrix fan-out (two or more expansions of one spec step) collapsed into
 * one group node, unless its id is in `expanded`. Edges follow the groups, without duplicates.
 */
export function dagWithGroups(
  steps: Step[],
  expanded: ReadonlySet<string> = new Set(),
): { nodes: DagNode[]; edges: StepEdge[] } {
  const members = new Map<string, Step[]>();
  for (const s of steps) {
    const base = specStepId(s.id, steps);
    if (base !== s.id) members.set(base, [...(members.get(base) ?? []), s]);
  }
  const shownAs = new Map<string, string>();
  const nodes: DagNode[] = [];
  const placed = new Set<string>();
  for (const s of steps) {
    const base = specStepId(s.id, steps);
    const group = members.get(base);
    if (base !== s.id && group && group.length > 1 && !expanded.has(base)) {
      shownAs.set(s.id, base);
      if (!placed.has(base)) {
        placed.add(base);
        nodes.push({ id: base, steps: group, matrix: base });
      }
    } else {
      shownAs.set(s.id, s.id);
      nodes.push({ id: s.id, steps: [s] });
    }
  }
  const seen = new Set<string>();
  const edges: StepEdge[] = [];
  for (const e of stepEdges(steps)) {
    const from = shownAs.get(e.from) ?? e.from;
    const to = shownAs.get(e.to) ?? e.to;
    const key = `${from}\u0000${to}`;
    if (from === to || seen.has(key)) continue;
    seen.add(key);
    edges.push({ from, to });
  }
  return { nodes, edges };
}
