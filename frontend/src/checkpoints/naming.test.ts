import { describe, expect, it } from 'vitest';
import type { LineageNode } from '../api/types';
import { nodeText } from '../lineage/lineageGraph';
import { checkpointName, formatBestEval, matchesCheckpoint, shortRunId, sortByBestEval } from './naming';

const written = {
  id: 'ab'.repeat(32),
  name: null,
  template: 'demo',
  producedBy: { runId: 'run-4431d25377ba725719e3', stepId: 'sft' },
};

describe('checkpoint names', () => {
  it('names what a step wrote <template>/<step>, with the run short', () => {
    expect(checkpointName(written)).toBe('demo/sft');
    expect(shortRunId('run-4431d25377ba725719e3')).toBe('4431d253');
  });

  it('keeps a registered name, and falls back to the hash start only with nothing else', () => {
    expect(checkpointName({ id: 'cd'.repeat(32), name: 'llama-base' })).toBe('llama-base');
    expect(checkpointName({ id: 'sha256:' + 'ef'.repeat(32) })).toBe('efefefefefef');
  });

  it('shows and sorts by the headline eval, lower first where lower is better', () => {
    expect(formatBestEval({ metric: 'exact_match', value: 0.75 })).toBe('exact_match 0.7500');
    const items = [
      { id: 'none', bestEval: null },
      { id: 'ppl', bestEval: { metric: 'perplexity', value: 3, higherIsBetter: false } },
      { id: 'hi', bestEval: { metric: 'accuracy', value: 0.9, higherIsBetter: true } },
      { id: 'lo', bestEval: { metric: 'accuracy', value: 0.2, higherIsBetter: true } },
    ];
    expect(sortByBestEval(items).map((i) => i.id)).toEqual(['hi', 'lo', 'ppl', 'none']);
  });
});

describe('lineage node text', () => {
  const base: LineageNode = {
    id: 'step:run-4431d25377ba725719e3/eval/1',
    type: 'step',
    label: 'run-4431d253 / eval #1',
    deleted: false,
    origin: null,
    runId: 'run-4431d25377ba725719e3',
    stepId: 'eval',
    kind: 'evaluate',
    template: 'demo',
    aliases: [],
  };

  it('labels a step by its step id, kind and template, never by the truncated run id', () => {
    expect(nodeText(base)).toEqual({ label: 'eval', sub: 'evaluate · demo', run: '4431d253' });
  });

  it('labels a checkpoint <template>/<step>', () => {
    const n = {
      ...base,
      id: `artifact:${'ab'.repeat(32)}`,
      type: 'checkpoint',
      stepId: 'prune',
      kind: 'prune',
    };
    expect(nodeText(n)).toEqual({ label: 'demo/prune', sub: 'checkpoint', run: '4431d253' });
  });
});

describe('picker filter', () => {
  it('finds a checkpoint by its step name, its run or an alias', () => {
    const a = { ...written, aliases: ['candidate'] };
    expect(matchesCheckpoint(a, 'SFT')).toBe(true);
    expect(matchesCheckpoint(a, 'demo/s')).toBe(true);
    expect(matchesCheckpoint(a, '4431d2')).toBe(true);
    expect(matchesCheckpoint(a, 'cand')).toBe(true);
    expect(matchesCheckpoint(a, 'dpo')).toBe(false);
  });
});
