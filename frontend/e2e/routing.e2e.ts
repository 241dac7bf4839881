// Routing in the dashboard, on real runs: a tiny 8-expert Mixtral pretrained for a few steps (its live
// expert load), route-stats over two tasks and over another model, then the profile view and comparison.
import { expect, test, type APIRequestContext, type Locator, type Page } from '@playwright/test';

const SHOTS = process.env.SCREENSHOT_DIR ?? '../docs/screenshots';
const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

const NAME = `moe-routing-e2e-${Date.now()}`;
const MOE = '{preset: tiny, model_type: mixtral, num_local_experts: 8, num_experts_per_tok: 2}';
const SPEC = `apiVersion: trainyard/v1
kind: Pipeline
name: ${NAME}
description: a tiny MoE, its routing on two tasks, and another model's routing on one
steps:
  - id: task-a
    kind: command
    run: >-
      for i in $(seq 0 60); do echo "$i+$((i % 9))=$((i + i % 9))"; echo; done > "$TRAINYARD_OUTPUT/task_a.txt"
  - id: task-b
    kind: command
    run: >-
      for i in $(seq 0 60); do echo "the cat sees a red ball, and the dog runs after ball $i."; echo; done > "$TRAINYARD_OUTPUT/task_b.txt"
  - id: pretrain
    kind: pretrain
    model: ${MOE}
    data: \${{ steps.task-a.outputs.output }}
    config: {max_steps: 12, batch_size: 4, seq_len: 32, checkpoint_every: 12, seed: 0}
  - id: other
    kind: pretrain
    model: ${MOE}
    data: \${{ steps.task-a.outputs.output }}
    config: {max_steps: 2, batch_size: 4, seq_len: 32, checkpoint_every: 2, seed: 1}
  - id: route-a
    kind: route-stats
    model: \${{ steps.pretrain.outputs.model }}
    data: \${{ steps.task-a.outputs.output }}
    config: {seq_len: 32}
  - id: route-b
    kind: route-stats
    model: \${{ steps.pretrain.outputs.model }}
    data: \${{ steps.task-b.outputs.output }}
    config: {seq_len: 32}
  - id: route-other
    kind: route-stats
    model: \${{ steps.other.outputs.model }}
    data: \${{ steps.task-a.outputs.output }}
    config: {seq_len: 32}
`;

interface RunView {
  status: string;
  steps: { id: string; outputs: Record<string, { artifactId: string }> }[];
}

async function getRun(request: APIRequestContext, id: string): Promise<RunView> {
  return (await request.get(`/api/v1/runs/${encodeURIComponent(id)}`)).json();
}

/** Every label of an SVG heatmap is at least 11 px high on screen. */
async function expectReadableLabels(map: Locator) {
  const sizes = await map
    .locator('svg text')
    .evaluateAll((els) => els.map((e) => parseFloat(getComputedStyle(e).fontSize)));
  expect(sizes.length).toBeGreaterThan(0);
  expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
}

test('read a tiny MoE’s expert load, its routing profile, and the difference of two tasks', async ({
  page,
  request,
}) => {
  test.setTimeout(360_000);
  const created = await request.post('/api/v1/templates', {
    headers: { 'Content-Type': 'application/yaml' },
    data: SPEC,
  });
  expect(created.status(), await created.text()).toBe(201);
  const launched = await request.post('/api/v1/runs', {
    headers: { 'Idempotency-Key': NAME },
    data: { template: NAME, params: {} },
  });
  expect(launched.status(), await launched.text()).toBeLessThan(300);
  const runId: string = (await launched.json()).id;
  await expect
    .poll(async () => (await getRun(request, runId)).status, { timeout: 300_000 })
    .toBe('SUCCEEDED');
  const run = await getRun(request, runId);
  const profile = (step: string) =>
    run.steps.find((s) => s.id === step)?.outputs.profile.artifactId as string;

  // the training step: one layer × expert load heatmap, no chart per expert
  await page.goto(`/runs/${encodeURIComponent(runId)}?step=pretrain`);
  const load = page.getByTestId('expert-load-heatmap');
  await expect(load).toBeVisible();
  await expect(page.getByTestId('expert-load-step')).toHaveText(/^step 12/);
  await expect(load.locator('[data-cell^="0,"]')).toHaveCount(8);
  await expectReadableLabels(load);
  await expect(page.getByRole('img', { name: 'loss chart', exact: true })).toBeVisible();
  await expect(page.getByRole('img', { name: /load\/expert/ })).toHaveCount(0);
  await page.getByTestId('expert-load').scrollIntoViewIfNeeded();
  await shot(page, 'expert-load');

  // task A's profile, then its difference from task B, as a link
  const a = profile('route-a');
  await page.goto(`/artifacts/${a}`);
  const map = page.getByTestId('profile-heatmap');
  await expect(map).toBeVisible();
  await expect(map.locator('[data-cell^="0,"]')).toHaveCount(8);
  await expectReadableLabels(map);
  await expectReadableLabels(page.getByTestId('matrix-coactivation'));
  const compare = page.getByLabel('Compare with');
  await expect(compare.locator('option', { hasText: 'step route-b' })).toHaveCount(1);
  await compare.selectOption({
    label: (await compare.locator('option', { hasText: 'step route-b' }).textContent())!,
  });
  await expect(page.getByTestId('difference-heatmap')).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`compare=${profile('route-b')}`));
  await expect(
    page.getByRole('heading', { name: 'Difference of token frequency: route-a − route-b' }),
  ).toBeVisible();
  await expectReadableLabels(page.getByTestId('difference-heatmap'));
  // two datasets route differently: some cell differs
  const diffs = await page
    .getByTestId('difference-heatmap')
    .locator('[data-value]')
    .evaluateAll((els) => els.map((e) => Math.abs(Number(e.getAttribute('data-value')))));
  expect(Math.max(...diffs)).toBeGreaterThan(0.01);
  await shot(page, 'routing-profile-diff');

  // the link opens the same comparison; another model's profile is refused
  await page.goto(page.url());
  await expect(page.getByTestId('difference-heatmap')).toBeVisible();
  await page.goto(`/artifacts/${a}?compare=${profile('route-other')}`);
  await expect(page.getByTestId('comparison-refused')).toContainText('come from different models');
  await expect(page.getByTestId('difference-heatmap')).toHaveCount(0);
});
