import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { EvalResult } from '../api/types';
import { compareEvals } from './compare';
import { EvalTable } from './EvalTable';

const e = (suite: string, metric: string, value: number, higherIsBetter = true): EvalResult => ({
  suite,
  metric,
  value,
  higherIsBetter,
  runId: 'run-1',
  stepId: 'eval',
  attempt: 1,
  evaluatedAt: '2025-01-01T00:00:00Z',
});

const COLUMNS = [
  { id: 'a', label: 'base', results: [e('mmlu', 'acc', 0.41), e('wiki', 'ppl', 12.5, false)] },
  { id: 'b', label: 'cpt', results: [e('mmlu', 'acc', 0.45), e('wiki', 'ppl', 9.1, false)] },
  { id: 'c', label: 'merged', results: [e('mmlu', 'acc', 0.45)] },
];

describe('evals compare', () => {
  it('marks the best value per metric, respecting its direction, ties included', () => {
    const rows = compareEvals(COLUMNS);
    expect(rows.map((r) => [r.metric, r.values, r.best])).toEqual([
      ['acc', [0.41, 0.45, 0.45], [1, 2]],
      ['ppl', [12.5, 9.1, null], [1]],
    ]);
  });

  it('renders the table with the best cells highlighted', () => {
    render(<EvalTable columns={COLUMNS} />);
    const best = screen.getAllByLabelText('best');
    expect(best.map((c) => c.textContent)).toEqual(['0.4500', '0.4500', '9.100']);
  });
});
