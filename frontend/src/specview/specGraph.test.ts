import { describe, expect, it } from 'vitest';
import { specEdges, stepLineRange } from './specGraph';

const SPEC = `apiVersion: trainyard/v1
kind: Pipeline
name: hello
steps:
  - id: greet
    kind: command
    run: echo hi > "$TRAINYARD_OUTPUT/g.txt"

  - id: shard
    kind: command
    matrix: {part: [1, 2]}
    run: cat "\${{ steps.greet.outputs.output }}/g.txt"
  - id: join
    kind: command
    needs: [greet]
    run: cat \${{steps.shard.outputs.output}} # fan-in
  - id: eval
    kind: evaluate
    model: \${{ steps.ghost.outputs.model }}
`;
const STEPS = [
  { id: 'greet', kind: 'command', needs: [], dependsOn: [] },
  { id: 'shard', kind: 'command', needs: [], dependsOn: [] },
  { id: 'join', kind: 'command', needs: ['greet'], dependsOn: ['greet'] },
  { id: 'eval', kind: 'evaluate', needs: [], dependsOn: [] },
];

describe('specGraph', () => {
  it('finds the lines of a step block, up to the next step', () => {
    expect(stepLineRange(SPEC, 'greet')).toEqual({ start: 4, end: 6 });
    expect(stepLineRange(SPEC, 'shard')).toEqual({ start: 8, end: 11 });
    expect(stepLineRange(SPEC, 'nope')).toBeNull();
  });

  it('draws edges implied by output bindings as well as explicit needs, naming the outputs carried', () => {
    expect(specEdges(SPEC, STEPS)).toEqual([
      { from: 'greet', to: 'shard', outputs: ['output'] },
      { from: 'greet', to: 'join', outputs: [] },
      { from: 'shard', to: 'join', outputs: ['output'] },
    ]);
  });

  it("adds the server's dependsOn even where the text gives no hint", () => {
    const steps = STEPS.map((s) => (s.id === 'eval' ? { ...s, dependsOn: ['join'] } : s));
    expect(specEdges(SPEC, steps)).toContainEqual({ from: 'join', to: 'eval', outputs: [] });
  });
});
