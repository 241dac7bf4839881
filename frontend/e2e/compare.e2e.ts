// Run comparison, readable graphs and checkpoint names, on real runs: three seeds of a small training
// template (data → tiny pretrain → evaluate) compared, their checkpoint found by name; the demo's DAG
// and spec graph read at the default zoom.
import { expect, test, type APIRequestContext, type Locator, type Page } from '@playwright/test';

const SHOTS = process.env.SCREENSHOT_DIR ?? '../docs/screenshots';
const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

const NAME = `compare-e2e-${Date.now()}`;
const STEPS = 20;
// Small enough for three runs at once on a busy 2-core machine: a few lines of text to train on, and
// eight sums plus a held-out text to evaluate on.
const SPEC = `apiVersion: trainyard/v1
kind: Pipeline
name: ${NAME}
description: a tiny pretrain per seed, and its evaluation
params:
  seed: {type: int, default: 0}
steps:
  - id: corpus
    kind: command
    run: >-
      for i in $(seq 0 80); do echo "$i+$((i % 7))=$((i + i % 7)). the cat sees ball $i."; done > "$TRAINYARD_OUTPUT/train.txt"
  - id: evalset
    kind: command
    run: >-
      for i in $(seq 1 8); do echo "{\\"question\\": \\"$i+1=\\", \\"answer\\": \\"$((i + 1))\\"}"; done > "$TRAINYARD_OUTPUT/sums.jsonl";
      for i in $(seq 81 90); do echo "$i+1=$((i + 1))."; done > "$TRAINYARD_OUTPUT/held.txt"
  - id: pretrain
    kind: pretrain
    model: tiny
    data: \${{ steps.corpus.outputs.output }}
    config:
      max_steps: ${STEPS}
      batch_size: 4
      seq_len: 32
      checkpoint_every: ${STEPS}
      seed: \${{ params.seed }}
  - id: eval
    kind: evaluate
    model: \${{ steps.pretrain.outputs.model }}
    data: \${{ steps.evalset.outputs.output }}
`;

interface RunView {
  id: string;
  status: string;
  steps: { id: string; outputs: Record<string, { artifactId: string }> }[];
}

const getRun = async (request: APIRequestContext, id: string): Promise<RunView> =>
  (await request.get(`/api/v1/runs/${encodeURIComponent(id)}`)).json();

async function launch(request: APIRequestContext, template: string, params: object, key: string) {
  const res = await request.post('/api/v1/runs', {
    headers: { 'Idempotency-Key': key },
    data: { template, params },
  });
  expect(res.status(), await res.text()).toBeLessThan(300);
  return (await res.json()).id as string;
}

/**
 * Every node label of a graph is at least 11 px high on screen at the zoom it opened at (its text's
 * bounding box, and its font size times the viewport's scale), and lies inside the graph's box.
 */
async function expectReadableAndInView(graph: Locator, count: number) {
  await expect(graph.locator('.flow-node-label')).toHaveCount(count);
  const box = (await graph.boundingBox())!;
  const labels = await graph.locator('.flow-node-label').evaluateAll((els) =>
    els.map((el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      const text = range.getBoundingClientRect();
      const node = el.closest('.flow-node') as HTMLElement;
      const scale = node.getBoundingClientRect().width / node.offsetWidth;
      const r = node.getBoundingClientRect();
      return {
        text: el.textContent,
        height: text.height,
        px: parseFloat(getComputedStyle(el).fontSize) * scale,
        box: { left: r.left, top: r.top, right: r.right, bottom: r.bottom },
      };
    }),
  );
  for (const l of labels) {
    expect(l.height, `${l.text}: text box height`).toBeGreaterThanOrEqual(11);
    expect(l.px, `${l.text}: font size on screen`).toBeGreaterThanOrEqual(11);
    expect(l.box.left, `${l.text} inside the graph`).toBeGreaterThanOrEqual(box.x - 1);
    expect(l.box.top, `${l.text} inside the graph`).toBeGreaterThanOrEqual(box.y - 1);
    expect(l.box.right, `${l.text} inside the graph`).toBeLessThanOrEqual(box.x + box.width + 1);
    expect(l.box.bottom, `${l.text} inside the graph`).toBeLessThanOrEqual(box.y + box.height + 1);
  }
}

test('compare three seeds: overlaid loss curves, smoothing, log axis, tokens, evals and diff from one link', async ({
  page,
  request,
}) => {
  test.setTimeout(420_000);
  const created = await request.post('/api/v1/templates', {
    headers: { 'Content-Type': 'application/yaml' },
    data: SPEC,
  });
  expect(created.status(), await created.text()).toBe(201);
  const ids: string[] = [];
  for (const seed of [0, 1, 2]) ids.push(await launch(request, NAME, { seed }, `${NAME}-${seed}`));
  for (const id of ids)
    await expect.poll(async () => (await getRun(request, id)).status, { timeout: 300_000 }).toBe('SUCCEEDED');

  // pick them in the template's history: its runs
  await page.goto(`/templates/${NAME}`);
  await page.getByRole('link', { name: 'Runs of this template' }).click();
  await expect(page).toHaveURL(new RegExp(`/runs\\?template=${NAME}`));
  for (const id of ids) await page.getByRole('checkbox', { name: `Compare ${id}` }).check();
  await page.getByRole('link', { name: 'Compare 3 runs' }).click();
  await expect(page).toHaveURL(/\/compare\?runs=/);
  await expect(page.getByRole('heading', { name: 'Compare 3 runs' })).toBeVisible();

  // the loss of each run over its 30 steps, one legend entry per run
  const chart = page.getByTestId('compare-chart');
  await expect(chart).toHaveAttribute('data-points', `${STEPS},${STEPS},${STEPS}`);
  await expect(page.getByLabel('Metric')).toHaveValue('loss');
  for (const id of ids) await expect(chart.locator('.u-legend')).toContainText(id);
  await expect(page.getByRole('radio', { name: 'Wall time' })).toBeDisabled(); // the trainer logs no wall time

  await page.getByLabel('Smoothing').fill('0.6');
  await page.getByLabel('Log y axis').check();
  await page.getByRole('radio', { name: 'Tokens' }).check();
  await expect(page).toHaveURL(/smooth=0\.6/);
  await expect(page).toHaveURL(/log=1/);
  await expect(page).toHaveURL(/x=tokens/);
  await expect(chart.locator('.u-axis').first()).toBeVisible();

  // the evaluate step's scores, the best per metric marked; the seed is what differs
  const evals = page.getByRole('table', { name: 'Evaluations' });
  const rows = evals.locator('tbody tr');
  expect(await rows.count()).toBeGreaterThan(0);
  // a metric where the runs differ has its best marked; one where all scored the same has none
  let marked = 0;
  for (const row of await rows.all()) {
    const values = (await row.locator('td').allTextContents()).slice(2).map((v) => v.replace(' ★', ''));
    const best = await row.locator('td[data-best]').count();
    if (new Set(values).size > 1) expect(best, values.join(' ')).toBeGreaterThan(0);
    else expect(best, values.join(' ')).toBe(0);
    marked += best;
  }
  expect(marked).toBeGreaterThan(0); // 20 steps of different seeds never reach the same perplexity
  const diff = page.getByRole('table', { name: 'Config and parameters' });
  await expect(diff.locator('tr[data-differs]', { hasText: 'seed' })).toHaveCount(1);
  await expect(diff.locator('tr', { hasText: 'template' })).not.toHaveAttribute('data-differs');
  await shot(page, 'compare');

  // the link restores it all
  await page.reload();
  await expect(page.getByLabel('Smoothing')).toHaveValue('0.6');
  await expect(page.getByLabel('Log y axis')).toBeChecked();
  await expect(page.getByRole('radio', { name: 'Tokens' })).toBeChecked();
  await expect(page.getByTestId('compare-chart')).toHaveAttribute(
    'data-points',
    `${STEPS},${STEPS},${STEPS}`,
  );

  // names: the registry and the evals picker call the checkpoint <template>/<step>, with the run and its score
  const run = await getRun(request, ids[0]);
  const model = run.steps.find((s) => s.id === 'pretrain')!.outputs.model.artifactId;
  const short = ids[0].replace(/^run-/, '').slice(0, 8);
  await page.goto('/checkpoints');
  const row = page.getByRole('row', { name: new RegExp(`${NAME}/pretrain ${short}`) });
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('best-eval')).toHaveText(/^(accuracy|exact_match|preference_accuracy) \d/);
  await page.goto('/evals');
  await page.getByLabel('Filter checkpoints').fill(`${NAME}/pre`);
  const picks = page.getByRole('list', { name: 'Checkpoints to compare' }).getByRole('listitem');
  await expect(picks).toHaveCount(3);
  await expect(picks.first()).toContainText('step pretrain');
  await expect(picks.first()).not.toContainText('no evals');
  await picks.filter({ hasText: short }).getByRole('checkbox').check();
  await expect(page).toHaveURL(new RegExp(`c=${model}`));

  // lineage: the checkpoint's graph names its step nodes by step id, kind and template, readable
  await page.goto(`/artifacts/${model}`);
  const lineage = page.getByRole('group', { name: 'Lineage graph' });
  const steps = lineage.locator('.flow-node-step');
  await expect(steps.filter({ hasText: `pretrain · ${NAME}` })).toHaveCount(1);
  await expect(steps.filter({ hasText: `pretrain · ${NAME}` }).locator('.flow-node-label')).toContainText(
    new RegExp(`^pretrain${short}$`),
  );
  await expect(steps.filter({ hasText: `evaluate · ${NAME}` })).toHaveCount(1);
  await expect(lineage.locator('.flow-node', { hasText: `${NAME}/pretrain` }).first()).toBeVisible();
  await expectReadableAndInView(lineage, await lineage.locator('.flow-node').count());
  await shot(page, 'lineage-names');
});

test('the demo’s run DAG and spec graph open with every label readable and in view', async ({
  page,
  request,
}) => {
  await page.goto('/templates/demo');
  const spec = page.getByRole('group', { name: 'Template step graph' });
  await expectReadableAndInView(spec, 9);

  const id = await launch(request, 'demo', { seed: 7 }, `demo-dag-${Date.now()}`);
  try {
    await page.goto(`/runs/${encodeURIComponent(id)}`);
    const dag = page.getByRole('group', { name: 'Run DAG' });
    await expect(dag.getByTestId('graph-node-eval')).toBeVisible({ timeout: 60_000 });
    await expectReadableAndInView(dag, 9);
    await shot(page, 'run-dag-demo');
  } finally {
    await request.post(`/api/v1/runs/${encodeURIComponent(id)}/cancel`, { data: {} });
  }
});

test('a long attempt error wraps inside the step panel instead of pushing the attempts table out', async ({
  page,
  request,
}) => {
  const name = `long-error-e2e-${Date.now()}`;
  const created = await request.post('/api/v1/templates', {
    headers: { 'Content-Type': 'application/yaml' },
    data: `apiVersion: trainyard/v1
kind: Pipeline
name: ${name}
steps:
  - id: fail
    kind: command
    retry: {max_attempts: 1}
    run: "head -c 3000 /dev/zero | tr '\\\\0' x; echo; exit 3"
`,
  });
  expect(created.status(), await created.text()).toBe(201);
  const id = await launch(request, name, {}, name);
  await expect.poll(async () => (await getRun(request, id)).status, { timeout: 90_000 }).toBe('FAILED');
  await page.goto(`/runs/${encodeURIComponent(id)}?step=fail`);
  const panel = page.getByRole('region', { name: 'Step fail' });
  const table = panel.locator('.attempts-table');
  await expect(table.locator('.error-text')).toContainText('exited with code 3');
  // the table stays within its column: the column's right edge is where the outputs half begins
  const column = (await table.locator('xpath=..').boundingBox())!;
  const t = (await table.boundingBox())!;
  expect(t.x + t.width).toBeLessThanOrEqual(column.x + column.width + 1);
});
