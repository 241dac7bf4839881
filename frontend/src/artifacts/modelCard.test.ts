import { NO_ORIGIN } from '../lineage/lineageGraph';
import { describe, expect, it } from 'vitest';
import type { Artifact, Lineage } from '../api/types';
import { buildModelCard } from './modelCard';

const A: Artifact = {
  id: 'c'.repeat(64),
  type: 'checkpoint',
  name: 'tiny-cpt',
  sizeBytes: 2048,
  createdAt: '2025-01-01T00:00:00Z',
  team: null,
  uri: null,
  createdBy: 'alice',
  producedBy: { runId: 'r1', stepId: 'train', attempt: 1, output: 'model' },
  files: [{ path: 'model.safetensors', sizeBytes: 2048, sha256: 'f'.repeat(64) }],
  aliases: ['candidate'],
  parameters: null,
  sparsity: null,
  deleted: null,
  failed: false,
  model: null,
};

describe('buildModelCard', () => {
  it('writes identity, training run, data lineage, evals and file hashes', () => {
    const ancestors: Lineage = {
      root: `artifact:${A.id}`,
      nodes: [
        {
          id: `artifact:${A.id}`,
          type: 'checkpoint',
          label: 'tiny-cpt',
          deleted: false,
          origin: null,
          ...NO_ORIGIN,
        },
        {
          id: 'step:r1/train/1',
          type: 'step',
          label: 'cpt.train r1',
          deleted: false,
          origin: null,
          ...NO_ORIGIN,
        },
        {
          id: `artifact:${'d'.repeat(64)}`,
          type: 'dataset',
          label: 'wiki-small',
          deleted: false,
          origin: null,
          ...NO_ORIGIN,
        },
      ],
      edges: [],
    };
    const card = buildModelCard({
      artifact: A,
      run: {
        id: 'r1',
        template: 'cpt',
        templateVersion: 2,
        status: 'SUCCEEDED',
        createdAt: '',
        startedAt: null,
        finishedAt: null,
        launchedBy: 'alice',
        executions: 1,
        params: { lr: 0.001 },
        error: null,
        triggeredBy: null,
        steps: [],
      },
      ancestors,
      evals: [
        {
          suite: 'mmlu',
          metric: 'acc',
          value: 0.45,
          higherIsBetter: true,
          runId: 'r2',
          stepId: 'eval',
          attempt: 1,
          evaluatedAt: '',
        },
      ],
    });
    expect(card).toContain('# tiny-cpt');
    expect(card).toContain('`candidate`');
    expect(card).toContain('run `r1`, step `train`');
    expect(card).toContain('| lr | 0.001 |');
    expect(card).toContain('**Training data:**\n- wiki-small');
    expect(card).toContain('| mmlu | acc | 0.45 |');
    expect(card).toContain(`| model.safetensors | 2.0 KiB | \`${'f'.repeat(64)}\` |`);
  });
});
