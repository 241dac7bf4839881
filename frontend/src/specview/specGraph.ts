// The step graph of a template version, read from the spec as written. Pure, so it is tested alone.
import type { TemplateStep } from '../api/types';

export interface SpecEdge {
  from: string;
  to: string;
  /** The outputs of `from` that `to` binds (`${{ steps.from.outputs.<name> }}`); empty for a bare `needs:`. */
  outputs: string[];
}

/** Where one step's block sits in the spec text: `- id: <step>` and the lines indented under it (0-based, inclusive). */
export function stepLineRange(spec: string, stepId: string): { start: number; end: number } | null {
  const lines = spec.split(/\r?\n/);
  const esc = stepId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const start = lines.findIndex((l) => new RegExp(`^(\\s*)-\\s+id:\\s*["']?${esc}["']?\\s*(#.*)?$`).test(l));
  if (start < 0) return null;
  const dashIndent = lines[start].indexOf('-');
  let end = start;
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i];
    if (l.trim() === '') continue;
    if (l.length - l.trimStart().length <= dashIndent) break;
    end = i;
  }
  return { start, end };
}

const OUTPUT_REF = /\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g;

/**
 * Edges from each step's dependencies: the server's `dependsOn` (needs plus output references) when it
 * sends it, the explicit `needs`, and the `${{ steps.X.outputs.Y }}` bindings found in the step's block,
 * which also name the outputs an edge carries. Only edges between known steps are kept.
 */
export function specEdges(spec: string, steps: TemplateStep[]): SpecEdge[] {
  const ids = new Set(steps.map((s) => s.id));
  const lines = spec.split(/\r?\n/);
  const edges: SpecEdge[] = [];
  for (const s of steps) {
    const outputs = new Map<string, Set<string>>();
    const add = (from: string) => {
      if (ids.has(from) && from !== s.id && !outputs.has(from)) outputs.set(from, new Set());
    };
    (s.dependsOn ?? []).forEach(add);
    s.needs.forEach(add);
    const range = stepLineRange(spec, s.id);
    if (range) {
      const block = lines.slice(range.start, range.end + 1).join('\n');
      for (const m of block.matchAll(OUTPUT_REF)) {
        add(m[1]);
        outputs.get(m[1])?.add(m[2]);
      }
    }
    for (const [from, outs] of outputs) edges.push({ from, to: s.id, outputs: [...outs] });
  }
  return edges;
}
