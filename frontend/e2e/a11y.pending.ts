// NOT RUN YET: this spec has not passed (its file download was "canceled", later runs timed out), so it
// is kept out of the e2e run (playwright.config matches *.e2e.ts only). Rename it to a11y.e2e.ts to run it:
// `bash infra/scripts/e2e-browser.sh --no-build a11y.e2e.ts`.
// Accessibility and keyboard use (issue 18 item 7), a step's metrics on one axis with its evaluations
// (item 4) and fetching a checkpoint's files (item 5), on a real run of a tiny pretrain that evaluates
// every 4 steps. axe-core (the npm package, injected into the page) checks every page for serious and
// critical violations; the main flows are driven with the keyboard alone.
import { expect, test, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const NAME = `a11y-e2e-${Date.now()}`;
const SPEC = `apiVersion: trainyard/v1
kind: Pipeline
name: ${NAME}
description: a tiny pretrain that evaluates on held-out text every 4 steps
params:
  seed: {type: int, default: 0}
steps:
  - id: corpus
    kind: command
    run: >-
      for i in $(seq 0 80); do echo "$i+$((i % 7))=$((i + i % 7)). the cat sees ball $i."; done > "$TRAINYARD_OUTPUT/train.txt"
  - id: held
    kind: command
    run: >-
      for i in $(seq 81 96); do echo "$i+1=$((i + 1)). the dog sees ball $i."; done > "$TRAINYARD_OUTPUT/held.txt"
  - id: pretrain
    kind: pretrain
    model: tiny
    data: \${{ steps.corpus.outputs.output }}
    eval_data: \${{ steps.held.outputs.output }}
    config:
      max_steps: 12
      batch_size: 4
      seq_len: 32
      log_every: 1
      eval_every: 4
      seed: \${{ params.seed }}
`;

interface RunView {
  id: string;
  status: string;
  steps: { id: string; outputs: Record<string, { artifactId: string }> }[];
}
const getRun = async (request: APIRequestContext, id: string): Promise<RunView> =>
  (await request.get(`/api/v1/runs/${encodeURIComponent(id)}`)).json();

/** 0 serious or critical axe violations on the page as it is now; the message lists each with its nodes. */
async function expectAccessible(page: Page, what: string) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE); // through the debugger: the app's CSP allows no inline script
  const violations = await page.evaluate(async () => {
    // @ts-expect-error axe is injected above
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return (
      result.violations as { id: string; impact: string; help: string; nodes: { target: string[] }[] }[]
    )
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  // Soft: one run reports the violations of every page, not only the first page's.
  expect.soft(violations, `${what}: serious or critical axe violations`).toEqual([]);
}

/** Presses Tab (at most `max` times) until `target` has the focus: how a keyboard user gets there. */
async function tabTo(page: Page, target: Locator, max = 120) {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target}`);
}

test('every page passes axe, the main flows work from the keyboard, metrics share an axis, files check out', async ({
  page,
  request,
}) => {
  test.setTimeout(480_000);
  const created = await request.post('/api/v1/templates', {
    headers: { 'Content-Type': 'application/yaml' },
    data: SPEC,
  });
  expect(created.status(), await created.text()).toBe(201);
  // A second run to compare with, launched through the API while the first is launched by keyboard.
  const other = await request.post('/api/v1/runs', {
    headers: { 'Idempotency-Key': `${NAME}-1` },
    data: { template: NAME, params: { seed: 1 } },
  });
  expect(other.status(), await other.text()).toBeLessThan(300);
  const otherId = (await other.json()).id as string;

  // Launch a template from the keyboard: the templates list, the template, its launch form.
  await page.goto('/templates');
  await expectAccessible(page, 'templates');
  await tabTo(page, page.getByRole('link', { name: NAME, exact: true }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/templates/${NAME}$`));
  await expect(page.getByRole('button', { name: 'Launch run' })).toBeVisible();
  await expectAccessible(page, 'template');
  await tabTo(page, page.getByRole('button', { name: 'Launch run' }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/runs\/[^/?]+$/);
  const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
  await expectAccessible(page, 'run, while it runs');
  for (const r of [id, otherId])
    await expect.poll(async () => (await getRun(request, r)).status, { timeout: 360_000 }).toBe('SUCCEEDED');

  // Open a run and compare two from the keyboard, starting at the runs list.
  await page.goto(`/runs?template=${NAME}`);
  await expect(page.getByRole('checkbox', { name: `Compare ${id}` })).toBeVisible();
  await expectAccessible(page, 'runs');
  await tabTo(page, page.getByRole('checkbox', { name: `Compare ${id}` }));
  await page.keyboard.press('Space');
  await tabTo(page, page.getByRole('checkbox', { name: `Compare ${otherId}` }));
  await page.keyboard.press('Space');
  await tabTo(page, page.getByRole('link', { name: 'Compare 2 runs' }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Compare 2 runs' })).toBeVisible();
  await expect(page.getByTestId('compare-chart')).toHaveAttribute('data-points', '12,12');
  await expectAccessible(page, 'compare');
  await page.goBack();
  await tabTo(page, page.getByRole('link', { name: id, exact: true }).first());
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/runs/${id}`));
  await expect(page.getByRole('group', { name: 'Run DAG' })).toBeVisible();
  await expectAccessible(page, 'run, succeeded');

  // A step's metrics: eval_loss over loss in one chart, constants in the table, one cursor for all charts.
  await page.goto(`/runs/${encodeURIComponent(id)}?step=pretrain`);
  const loss = page.getByRole('img', { name: 'loss and eval_loss chart' });
  await expect(loss).toHaveAttribute('data-points', '12,4'); // training at 1…12, held-out at 0, 4, 8, 12
  await expect(page.getByRole('img', { name: /eval_loss chart$/ })).toHaveCount(1); // no chart of its own
  const values = page.getByRole('table', { name: 'Metric values' });
  await expect(values.getByRole('rowheader', { name: 'total_steps' })).toBeVisible();
  await expectAccessible(page, 'run step metrics');
  const lr = page.getByRole('img', { name: 'lr chart' });
  const over = (await loss.locator('.u-over').boundingBox())!;
  await page.mouse.move(over.x + over.width * 0.5, over.y + over.height * 0.5);
  const hovered = (chart: Locator) => chart.locator('.u-legend .u-series').first().locator('.u-value');
  await expect(hovered(loss)).not.toHaveText(/^-?$/);
  await expect(hovered(lr)).toHaveText((await hovered(loss).textContent())!); // the same step in both

  // The checkpoint's files: download one, its sha256 is the listing's; the check lines name it.
  const model = (await getRun(request, id)).steps.find((s) => s.id === 'pretrain')!.outputs.model.artifactId;
  await page.goto(`/artifacts/${model}`);
  const files = page.getByRole('table', { name: 'Files' });
  const row = files.locator('tr[data-path$=".safetensors"]').first();
  const path = (await row.getAttribute('data-path'))!;
  const listed = (await row.getByTestId('sha256').textContent())!.trim();
  await expectAccessible(page, 'artifact');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.getByRole('link', { name: `Download ${path}` }).click(),
  ]);
  expect(await download.failure(), 'the download').toBeNull();
  const saved = readFileSync((await download.path())!);
  expect(createHash('sha256').update(saved).digest('hex')).toBe(listed);
  expect(download.suggestedFilename()).toBe(path.split('/').pop());
  await expect(page.getByTestId('archive-check')).toContainText(`${listed}  ${path}`);

  for (const [url, what] of [
    ['/checkpoints', 'registry'],
    [`/lineage?root=${model}`, 'lineage'],
    [`/evals`, 'evals'],
    ['/editor', 'editor'],
    ['/workers', 'workers'],
  ]) {
    await page.goto(url);
    await expect(page.locator('main, section').first()).toBeVisible();
    await page.waitForLoadState('networkidle');
    await expectAccessible(page, what);
  }
});
