/**
 * The YAML block of one step in a template spec (`- id: <step>` and the lines indented under it).
 * Text-level on purpose: it shows the step's config exactly as written, comments included.
 */
export function stepSpecFragment(spec: string, stepId: string): string | null {
  const lines = spec.split(/\r?\n/);
  const esc = stepId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const start = lines.findIndex((l) => new RegExp(`^(\\s*)-\\s+id:\\s*["']?${esc}["']?\\s*(#.*)?$`).test(l));
  if (start < 0) return null;
  const dashIndent = lines[start].indexOf('-');
  const out = [lines[start]];
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i];
    if (l.trim() === '') {
      out.push(l);
      continue;
    }
    const indent = l.length - l.trimStart().length;
    if (indent <= dashIndent) break;
    out.push(l);
  }
  while (out.length && out[out.length - 1].trim() === '') out.pop();
  const strip = Math.min(
    dashIndent,
    ...out.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length),
  );
  return out.map((l) => l.slice(strip)).join('\n');
}
