import { describe, expect, it } from 'vitest';
import type { ArtifactSummary } from '../api/types';
import { pickerOptions } from './pickerOptions';

const IMPORTED: ArtifactSummary = {
  id: 'ab'.padEnd(64, '4'),
  type: 'checkpoint',
  name: 'my-llama',
  sizeBytes: 1000,
  createdAt: '2026-12-01T10:00:00Z',
  producedBy: null,
  parameters: 1_234_567,
  sparsity: null,
  deleted: false,
  model: {
    family: 'llama',
    parameters: 1_234_567,
    dtype: 'bfloat16',
    tokenizer: 'hf',
    chatTemplate: true,
    description: null,
    source: 'file:///data/my-llama',
    importedBy: 'alice',
    importedAt: '2026-12-01T10:00:00Z',
    origin: 'imported from file:///data/my-llama by alice',
  },
  template: null,
  aliases: [],
  bestEval: null,
};

describe('pickerOptions', () => {
  it('says what an imported checkpoint is: family, parameters and dtype', () => {
    const [option] = pickerOptions('', [IMPORTED], []);
    expect(option.label).toBe('my-llama');
    expect(option.detail).toBe('imported · llama · 1,234,567 params · bfloat16 · ab4444444444');
  });

  it('names a trained checkpoint <template>/<step> with its run, date, best eval and aliases, the hash last', () => {
    const trained: ArtifactSummary = {
      ...IMPORTED,
      id: 'cd'.padEnd(64, '5'),
      name: null,
      model: null,
      producedBy: { runId: 'run-4431d25377ba725719e3', stepId: 'sft', attempt: 1, output: 'model' },
      template: 'demo',
      aliases: ['candidate'],
      bestEval: {
        metric: 'exact_match',
        value: 0.75,
        higherIsBetter: true,
        runId: 'run-4431d25377ba725719e3',
        stepId: 'eval',
        evaluations: 1,
      },
    };
    const [option] = pickerOptions('', [trained], []);
    expect(option.label).toBe('demo/sft');
    const date = new Date(trained.createdAt).toLocaleDateString();
    expect(option.detail).toBe(
      `step sft · run 4431d253 · ${date} · exact_match 0.7500 · @candidate · cd5555555555`,
    );
  });
});
