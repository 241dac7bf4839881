// The routing-profile artifact's profile.json (docs/trainer.md "Routing profiles", format
// trainyard.routing-profile/v1) as the dashboard reads it: checked once on load, so the views below
// can index it without guarding every access, and compared only when both come from the same model.

export const PROFILE_FORMAT = 'trainyard.routing-profile/v1';
export const PROFILE_FILE = 'profile.json';

/** The per-expert statistics a profile holds, in the order the picker offers them. */
export const STATISTICS = [
  'frequency',
  'mean_gate',
  'mean_output_norm',
  'gate_weighted_output_norm',
] as const;
export type Statistic = (typeof STATISTICS)[number];

export const STATISTIC_LABELS: Record<Statistic, string> = {
  frequency: 'token frequency',
  mean_gate: 'mean gate probability',
  mean_output_norm: 'mean output norm',
  gate_weighted_output_norm: 'gate-weighted output norm',
};

/** What each statistic means, said once for the legend. */
export const STATISTIC_HELP: Record<Statistic, string> = {
  frequency: "share of tokens whose top k holds the expert (a layer's row sums to k)",
  mean_gate: "mean softmax router probability over all tokens (a layer's row sums to 1)",
  mean_output_norm: "mean L2 norm of the expert's output over the tokens routed to it (0 when none)",
  gate_weighted_output_norm: 'Σ over routed tokens of top-k weight × output norm, divided by all tokens',
};

export const MATRICES = ['coactivation', 'router_logit_similarity'] as const;
export type MatrixName = (typeof MATRICES)[number];

export const MATRIX_LABELS: Record<MatrixName, string> = {
  coactivation: 'co-activation',
  router_logit_similarity: 'router-logit similarity',
};

export interface ProfileLayer extends Record<Statistic, number[]>, Record<MatrixName, number[][]> {
  layer: number;
}

export interface RoutingProfile {
  format: string;
  model: {
    model_type: string;
    num_hidden_layers: number;
    num_local_experts: number;
    layer_experts: number[];
    num_experts_per_tok: number;
    router_fingerprint: string;
  };
  dataset: { subset: string | null; tokens: number; sequences: number };
  layers: ProfileLayer[];
}

export class ProfileError extends Error {
  constructor(readonly problems: string[]) {
    super(`not a routing profile: ${problems.join('; ')}`);
    this.name = 'ProfileError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The profile in `text`, or a ProfileError naming the path of every problem found. */
export function parseProfile(text: string): RoutingProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ProfileError([`profile.json is not JSON (${e instanceof Error ? e.message : String(e)})`]);
  }
  const problems: string[] = [];
  if (!isObject(raw)) throw new ProfileError(['profile.json: expected an object']);
  if (raw.format !== PROFILE_FORMAT)
    problems.push(`format: expected "${PROFILE_FORMAT}", got ${JSON.stringify(raw.format)}`);
  const model = raw.model;
  const layers = raw.layers;
  if (!isObject(model)) problems.push('model: expected an object');
  if (!Array.isArray(layers)) problems.push('layers: expected a list');
  if (!isObject(model) || !Array.isArray(layers)) throw new ProfileError(problems);

  if (typeof model.router_fingerprint !== 'string')
    problems.push('model.router_fingerprint: expected a string');
  if (!isNumber(model.num_experts_per_tok)) problems.push('model.num_experts_per_tok: expected a number');
  // Profiles always write layer_experts; a uniform model's count is num_local_experts for every layer.
  const experts = Array.isArray(model.layer_experts)
    ? model.layer_experts
    : layers.map(() => model.num_local_experts);
  if (experts.length !== layers.length || !experts.every((n) => Number.isInteger(n) && (n as number) > 0))
    problems.push(`model.layer_experts: expected ${layers.length} positive integers (one per layer)`);

  layers.forEach((l: unknown, i) => {
    const at = `layers[${i}]`;
    if (!isObject(l)) {
      problems.push(`${at}: expected an object`);
      return;
    }
    const n = Number(experts[i]);
    for (const s of STATISTICS) {
      const v = l[s];
      if (!Array.isArray(v) || v.length !== n || !v.every(isNumber))
        problems.push(`${at}.${s}: expected ${n} numbers (layer_experts[${i}])`);
    }
    for (const m of MATRICES) {
      const v = l[m];
      if (
        !Array.isArray(v) ||
        v.length !== n ||
        !v.every((r) => Array.isArray(r) && r.length === n && r.every(isNumber))
      )
        problems.push(`${at}.${m}: expected a ${n} × ${n} matrix of numbers`);
    }
  });
  if (problems.length) throw new ProfileError(problems);
  const dataset = isObject(raw.dataset) ? raw.dataset : {};
  return {
    format: PROFILE_FORMAT,
    model: {
      model_type: String(model.model_type ?? ''),
      num_hidden_layers: layers.length,
      num_local_experts: Math.max(...(experts as number[])),
      layer_experts: experts as number[],
      num_experts_per_tok: model.num_experts_per_tok as number,
      router_fingerprint: model.router_fingerprint as string,
    },
    dataset: {
      subset: typeof dataset.subset === 'string' ? dataset.subset : null,
      tokens: isNumber(dataset.tokens) ? dataset.tokens : 0,
      sequences: isNumber(dataset.sequences) ? dataset.sequences : 0,
    },
    layers: layers.map((l, i) => ({ ...(l as ProfileLayer), layer: i })),
  };
}

/**
 * Why `a` and `b` cannot be compared cell by cell, or null when they can. Two datasets run through one
 * model share its router fingerprint; a different fingerprint is a different model (or a pruned or merged
 * one), whose expert j is not the same expert, so its difference would mean nothing.
 */
export function comparisonRefusal(a: RoutingProfile, b: RoutingProfile): string | null {
  const shape = (p: RoutingProfile) =>
    `${p.layers.length} layers × [${p.model.layer_experts.join(', ')}] experts`;
  if (shape(a) !== shape(b))
    return `These profiles have different shapes (${shape(a)} against ${shape(b)}): they come from different models, so their experts cannot be compared.`;
  if (a.model.router_fingerprint !== b.model.router_fingerprint)
    return `These profiles come from different models (router fingerprints ${a.model.router_fingerprint.slice(0, 12)}… and ${b.model.router_fingerprint.slice(0, 12)}…): expert j of one is not expert j of the other. Compare profiles of one model over two datasets.`;
  return null;
}

/** A layer × expert grid; a layer with fewer experts than the widest has null past its last expert. */
export type Grid = (number | null)[][];

export function statisticGrid(p: RoutingProfile, stat: Statistic): Grid {
  const width = p.model.num_local_experts;
  return p.layers.map((l) =>
    Array.from({ length: width }, (_, j) => (j < l[stat].length ? l[stat][j] : null)),
  );
}

/** a − b cell by cell (same shape: callers check comparisonRefusal first). */
export function differenceGrid(a: Grid, b: Grid): Grid {
  return a.map((row, i) =>
    row.map((v, j) => (v === null || b[i][j] === null ? null : v - (b[i][j] as number))),
  );
}
