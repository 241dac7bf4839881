import { describe, expect, it } from 'vitest';
import { groupMetrics, onSteps, panelsOf, sharedSteps } from './metrics';

const points = (name: string, pairs: [number, number][]) =>
  pairs.map(([step, value]) => ({ step, name, value }));

describe('a step’s metrics, charted as their data asks', () => {
  // What the trainer writes with eval_every: 10: training lines every 5 steps, held-out lines at 0, 10, 20.
  const trained = groupMetrics([
    ...points('loss', [
      [5, 3.1],
      [10, 2.8],
      [15, 2.5],
      [20, 2.2],
    ]),
    ...points('lr', [
      [5, 1e-3],
      [10, 9e-4],
      [15, 8e-4],
      [20, 7e-4],
    ]),
    ...points('eval_loss', [
      [0, 3.4],
      [10, 2.9],
      [20, 2.4],
    ]),
    ...points('total_steps', [
      [0, 20],
      [5, 20],
      [20, 20],
    ]),
    ...points('parameters', [[20, 123456]]),
  ]);

  it('draws the held-out loss over the training loss, in one chart, and keeps constants and final scalars in the table', () => {
    const { panels, values } = panelsOf(trained);
    expect(panels.map((p) => [p.name, p.evals?.name ?? null])).toEqual([
      ['loss', 'eval_loss'],
      ['lr', null],
    ]);
    expect(values.map((v) => v.name).sort()).toEqual(['parameters', 'total_steps']);
  });

  it('puts every chart on one x axis: the union of their steps, each curve null where it has no point', () => {
    const { panels } = panelsOf(trained);
    const xs = sharedSteps(panels);
    expect(xs).toEqual([0, 5, 10, 15, 20]);
    expect(onSteps(xs, panels[0].train)).toEqual([null, 3.1, 2.8, 2.5, 2.2]);
    expect(onSteps(xs, panels[0].evals!)).toEqual([3.4, null, 2.9, null, 2.4]);
    expect(onSteps(xs, panels[1].train)).toEqual([null, 1e-3, 9e-4, 8e-4, 7e-4]);
  });

  it('pairs train_<m> with eval_<m>, and one final evaluation is drawn as one point on the curve', () => {
    const { panels, values } = panelsOf(
      groupMetrics([
        ...points('train_accuracy', [
          [1, 0.2],
          [2, 0.4],
        ]),
        ...points('eval_accuracy', [[2, 0.35]]),
      ]),
    );
    expect(panels).toHaveLength(1);
    expect(panels[0].train.name).toBe('train_accuracy');
    expect(panels[0].evals?.values).toEqual([0.35]);
    expect(values).toEqual([]);
  });

  it('leaves an evaluation with no training twin on its own: a curve if it moves, a value if not', () => {
    const { panels, values } = panelsOf(
      groupMetrics([
        ...points('eval_loss', [
          [10, 2],
          [20, 1.5],
        ]),
        ...points('eval_accuracy', [[20, 0.5]]),
      ]),
    );
    expect(panels.map((p) => [p.name, p.evals])).toEqual([['eval_loss', null]]);
    expect(values.map((v) => v.name)).toEqual(['eval_accuracy']);
  });
});
