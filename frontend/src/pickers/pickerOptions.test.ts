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
};

describe('pickerOptions', () => {
  it('says what an imported checkpoint is: family, parameters and dtype', () => {
    const [option] = pickerOptions('', [IMPORTED], []);
    expect(option.label).toBe('my-llama');
    expect(option.detail).toBe('ab4444444444 · imported · llama · 1,234,567 params · bfloat16');
  });
});
