// What a user does in the dashboard, against the real backend in local mode.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SHOTS = process.env.SCREENSHOT_DIR ?? '../docs/screenshots';

// The token travels as a header on every request (playwright.config.ts: extraHTTPHeaders); the
// dashboard itself keeps no token in the page (local mode signs browsers in with an HttpOnly cookie).

const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png` });

async function launchFromForm(
  page: Page,
  template: string,
  params: Record<string, string> = {},
): Promise<string> {
  await page.goto(`/templates/${template}`);
  for (const [name, value] of Object.entries(params)) await page.locator(`#param-${name}`).fill(value);
  await page.getByRole('button', { name: 'Launch run' }).click();
  await page.waitForURL(/\/runs\/[^/?]+/);
  return decodeURIComponent(new URL(page.url()).pathname.split('/')[2]);
}

const runHeading = (page: Page) => page.getByRole('heading', { level: 1 });

async function runStatus(request: APIRequestContext, id: string): Promise<string> {
  const res = await request.get(`/api/v1/runs/${encodeURIComponent(id)}`);
  return (await res.json()).status;
}

test('launch hello from the form and watch it finish', async ({ page }) => {
  await page.goto('/templates');
  await page.getByRole('link', { name: 'hello', exact: true }).click();
  await expect(page.locator('#param-greeting')).toBeVisible();
  await page.locator('#param-greeting').fill('hello from the browser');
  await shot(page, 'launch-form');
  const id = await launchFromForm(page, 'hello', { greeting: 'hello from the browser', pause_seconds: '1' });

  await expect(runHeading(page)).toContainText(id);
  await expect(page.getByRole('group', { name: 'Run DAG' })).toBeVisible();
  await expect(runHeading(page).getByTestId('status-badge')).toHaveText('SUCCEEDED', { timeout: 90_000 });
  // every step finished, and the timeline drew a bar per attempt
  await expect(page.locator('.steps-table tbody tr')).toHaveCount(5);
  await expect(page.locator('.steps-table [data-testid=status-badge]', { hasText: 'SUCCEEDED' })).toHaveCount(
    5,
  );
  await expect(page.locator('.timeline-bar')).toHaveCount(5);
  await page.locator('.steps-table').getByRole('link', { name: 'join' }).click();
  await expect(page.getByRole('region', { name: 'Step join' })).toBeVisible();
  await shot(page, 'run-detail');

  await page.goto('/runs');
  await expect(page.getByRole('link', { name: id })).toBeVisible();
  await shot(page, 'runs');
});

test('open an output artifact and follow its lineage to its ancestors', async ({ page, request }) => {
  const id = await launchFromForm(page, 'hello', { pause_seconds: '0' });
  await expect.poll(() => runStatus(request, id), { timeout: 90_000 }).toBe('SUCCEEDED');

  await page.goto(`/runs/${id}?step=join`);
  const panel = page.getByRole('region', { name: 'Step join' });
  await panel.getByRole('link', { name: /…$/ }).first().click();
  await expect(page).toHaveURL(/\/artifacts\//);
  await expect(page.getByRole('group', { name: 'Lineage graph' })).toBeVisible();

  // the join output's ancestors are the shard outputs and, further up, the greeting
  const ancestors = page.getByRole('list', { name: 'Ancestors (upstream)' });
  await expect(ancestors.getByRole('link', { name: /shard-0/ }).first()).toBeVisible();
  await expect(ancestors.getByRole('link', { name: /greet/ }).first()).toBeVisible();
  // Model cards belong to checkpoints and come from the server (ModelCardsTest); a files artifact has none.
  await expect(page.getByTestId('model-card')).toHaveCount(0);
  await shot(page, 'artifact');

  // a file's link downloads exactly the stored bytes (the manifest's hash), and the tar is offered.
  // The browser fetches a download itself, with its cookies but not the test's extra headers: sign
  // this browser in as a user does (the session cookie).
  await page.request.post('/auth/session', {
    data: { token: process.env.E2E_TOKEN },
    headers: { 'X-Trainyard-CSRF': '1' },
  });
  const artifactId = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]);
  const stored = await (await request.get(`/api/v1/artifacts/${encodeURIComponent(artifactId)}`)).json();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('table', { name: 'Files' }).getByRole('link').first().click(),
  ]);
  const bytes = fs.readFileSync(await download.path());
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(stored.files[0].sha256);
  await expect(page.getByRole('link', { name: 'Download all (tar)' })).toHaveAttribute('href', /\/archive$/);

  await ancestors
    .getByRole('link', { name: /^greet\.output/ })
    .first()
    .click();
  await expect(page.getByText('Produced by', { exact: true })).toBeVisible();
  await expect(page.locator('dl.facts')).toContainText('greet');
  // the greeting has no ancestors of its own, and the explorer shows what derives from it
  await expect(
    page.getByRole('list', { name: 'Descendants (downstream)' }).getByRole('link').first(),
  ).toBeVisible();
  await page.getByRole('link', { name: 'Impact analysis' }).click();
  await expect(page.getByRole('table', { name: 'Impact' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Impact' })).toContainText('join.output');
  await page.getByRole('tab', { name: 'Graph' }).click();
  await expect(page.getByRole('group', { name: 'Lineage graph' })).toBeVisible();
  await shot(page, 'lineage');
});

test('approve an approval step from the run page', async ({ page, request }) => {
  const name = `gated-e2e-${Date.now()}`;
  const res = await request.post('/api/v1/templates', {
    headers: { 'Content-Type': 'application/yaml' },
    data: `apiVersion: trainyard/v1
kind: Pipeline
name: ${name}
description: build, wait for a person, ship
steps:
  - id: build
    kind: command
    run: "echo built > $TRAINYARD_OUTPUT/x"
  - id: gate
    kind: approval
    needs: [build]
  - id: ship
    kind: command
    needs: [gate]
    run: "true"
`,
  });
  expect(res.status(), await res.text()).toBe(201);

  const id = await launchFromForm(page, name);
  const gateRow = page.locator('.steps-table tbody tr', { hasText: 'gate' });
  await expect(gateRow.getByTestId('status-badge')).toHaveText('WAITING APPROVAL', { timeout: 60_000 });
  await expect(page.getByTestId('graph-node-gate')).toHaveClass(/waiting-approval/);
  await gateRow.getByRole('button', { name: 'Approve' }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toContainText('Approve step gate?');
  await dialog.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByText('Step gate approved.')).toBeVisible();
  await expect(runHeading(page).getByTestId('status-badge')).toHaveText('SUCCEEDED', { timeout: 60_000 });
  expect(await runStatus(request, id)).toBe('SUCCEEDED');
});

test('cancel a running run from the run page', async ({ page, request }) => {
  const id = await launchFromForm(page, 'hello', { pause_seconds: '60' });
  await expect(runHeading(page).getByTestId('status-badge')).toHaveText('RUNNING', { timeout: 60_000 });
  await expect(
    page.locator('.steps-table [data-testid=status-badge]', { hasText: 'RUNNING' }).first(),
  ).toBeVisible({
    timeout: 60_000,
  });
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toContainText(`Cancel run ${id}?`);
  await dialog.getByRole('button', { name: 'Cancel run' }).click();
  await expect(page.getByText('Cancellation requested.')).toBeVisible();
  await expect(runHeading(page).getByTestId('status-badge')).toHaveText('CANCELLED', { timeout: 60_000 });
  expect(await runStatus(request, id)).toBe('CANCELLED');
});

test('a bad parameter shows its error at the field and launches nothing', async ({ page, request }) => {
  const before = (await (await request.get('/api/v1/runs?limit=500')).json()).items.length;
  await page.goto('/templates/hello');
  await page.locator('#param-pause_seconds').fill('1.5');
  await page.getByRole('button', { name: 'Launch run' }).click();
  const field = page.getByTestId('field-pause_seconds');
  await expect(field.locator('.field-error')).toHaveText('must be an integer');
  await expect(page.locator('#param-pause_seconds')).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/templates\/hello$/);
  expect((await (await request.get('/api/v1/runs?limit=500')).json()).items.length).toBe(before);
});

test('registry, evals and workers pages load with their empty states', async ({ page }) => {
  await page.goto('/checkpoints?type=all');
  await expect(page.getByRole('table', { name: 'All artifacts' })).toBeVisible();
  await shot(page, 'registry');
  await page.goto('/checkpoints');
  await expect(page.getByText(/No checkpoints yet|Checkpoints/).first()).toBeVisible();
  await page.goto('/workers');
  await expect(page.getByRole('heading', { name: 'Workers', exact: true })).toBeVisible();
  await expect(page.locator('.empty, table').first()).toBeVisible();
  await page.goto('/evals');
  await expect(page.getByRole('heading', { name: 'Compare evals', exact: true })).toBeVisible();
});

test('pick a dataset in the launch form, and read the spec beside its step graph', async ({
  page,
  request,
}) => {
  const tag = `${Date.now()}`;
  const dataset = `e2e-corpus-${tag}`;
  // A file in the app's dataset root (infra/scripts/e2e-browser.sh): the server hashes it on registration.
  const file = path.join(process.env.E2E_DATASETS ?? '', `${dataset}.jsonl`);
  fs.writeFileSync(file, `{"text": "picker ${tag}"}\n`);
  const reg = await request.post('/api/v1/datasets', { data: { name: dataset, uri: `file://${file}` } });
  expect(reg.status(), await reg.text()).toBe(201);
  const sha: string = (await reg.json()).id; // the manifest hash of the stored copy
  const name = `picker-e2e-${tag}`;
  const res = await request.post('/api/v1/templates', {
    headers: { 'Content-Type': 'application/yaml' },
    data: `apiVersion: trainyard/v1
kind: Pipeline
name: ${name}
params:
  corpus: {type: dataset}
steps:
  - id: count
    kind: command
    inputs: {corpus: "\${{ params.corpus }}"}
    run: 'cat "$TRAINYARD_INPUT_CORPUS"/*.jsonl | wc -l > $TRAINYARD_OUTPUT/n'
  - id: report
    kind: command
    inputs: {count: "\${{ steps.count.outputs.output }}"}
    run: 'cat "$TRAINYARD_INPUT_COUNT/n"'
`,
  });
  expect(res.status(), await res.text()).toBe(201);

  await page.goto(`/templates/${name}`);
  // The step graph draws the edge the output binding implies (no needs: in the spec).
  const graph = page.getByRole('group', { name: 'Template step graph' });
  await expect(graph.locator('.react-flow__edge')).toHaveCount(1);
  await page.getByRole('table', { name: 'Steps' }).getByRole('button', { name: 'report' }).click();
  await expect(page.locator('.spec-line-selected').first()).toHaveText('  - id: report');

  const corpus = page.getByRole('combobox', { name: /^corpus/ });
  await corpus.fill('no-such-dataset');
  await expect(page.getByText('No datasets match “no-such-dataset”.')).toBeVisible();
  await page.getByRole('button', { name: 'Launch run' }).click();
  await expect(page.getByTestId('field-corpus').locator('.field-error')).toHaveText(
    "no dataset with alias, name, name:vN or id 'no-such-dataset'",
  );

  await corpus.fill(dataset.slice(0, -3));
  // The dataset's latest version comes first, then each version (name:vN).
  await expect(page.getByRole('option', { name: new RegExp(`^${dataset} \\(latest: v1\\)`) })).toBeVisible();
  await expect(page.getByRole('option', { name: new RegExp(`^${dataset}:v1`) })).toBeVisible();
  await corpus.press('ArrowDown');
  await corpus.press('Enter');
  await expect(corpus).toHaveValue(dataset);
  await expect(page.getByTestId('param-corpus-chosen')).toContainText(sha.slice(0, 12));
  await shot(page, 'template-spec-and-picker');
  await expect(page).toHaveURL(new RegExp(`/templates/${name}$`));
});
