// Browser timings at scale (issue 4), against an app seeded with backend/src/test/resources/bench/dashboard-seed.sql
// (frontend/bench/run.sh does all of it). Each measurement loads the page afresh in a new tab, so the
// JavaScript is parsed and run every time; the HTTP cache is warm after the first, as for a returning user.
import { expect, test, type Page } from '@playwright/test';
import { writeFileSync } from 'node:fs';

const TOKEN = process.env.E2E_TOKEN ?? '';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const OUT = process.env.BENCH_OUT ?? 'bench-results.json';

test.beforeEach(async ({ context }) => {
  await context.addInitScript((token) => {
    if (token) localStorage.setItem('trainyard.token', token);
  }, TOKEN);
});

/** ms since navigation start, read inside the page once its main thread is free after the next frame. */
const idleAt = (page: Page) =>
  page.evaluate(
    () => new Promise<number>((r) => requestAnimationFrame(() => setTimeout(() => r(performance.now())))),
  );

/** When the response for a URL containing `part` ended, in the page's clock. */
const responseEnd = (page: Page, part: string) =>
  page.evaluate(
    (p) =>
      Math.max(
        ...performance
          .getEntriesByType('resource')
          .filter((e) => e.name.includes(p))
          .map((e) => (e as PerformanceResourceTiming).responseEnd),
      ),
    part,
  );

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
  return {
    n: s.length,
    first: xs[0],
    p50: at(50),
    p90: at(90),
    max: s[s.length - 1],
    all: xs.map((x) => Math.round(x)),
  };
};

const results: Record<string, unknown> = {};

test('runs page: interactive with the first page of 100,000 runs', async ({ context }) => {
  const tti: number[] = [];
  const firstRows: number[] = [];
  const api: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const page = await context.newPage();
    await page.goto('/runs');
    // Interactive: rows on screen, the controls answer, and the main thread is free.
    await expect(page.getByRole('row').nth(1)).toBeVisible();
    firstRows.push(await page.evaluate(() => performance.now()));
    await expect(page.getByLabel('Status')).toBeEnabled();
    tti.push(await idleAt(page));
    const runsEntry = await page.evaluate(() => {
      const e = performance
        .getEntriesByType('resource')
        .find((x) => x.name.includes('/api/v1/runs?')) as PerformanceResourceTiming;
      return e.responseEnd - e.requestStart;
    });
    api.push(runsEntry);
    // And it is usable: a filter narrows the list from the server.
    if (i === 0) {
      await page.getByLabel('Status').selectOption('FAILED');
      await expect(page).toHaveURL(/status=FAILED/);
      await expect(page.getByRole('row').nth(1)).toContainText('FAILED');
    }
    await page.close();
  }
  results.runsPage = {
    timeToInteractiveMs: stats(tti),
    firstRowVisibleMs: stats(firstRows),
    runsApiInBrowserMs: stats(api),
  };
});

test('lineage graph: 500 nodes rendered', async ({ context }) => {
  const total: number[] = [];
  const render: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const page = await context.newPage();
    await page.goto('/lineage?root=bench-lineage-root');
    await expect(page.getByText('500 nodes, 499 edges')).toBeVisible({ timeout: 60_000 });
    await expect(page.locator('.react-flow__node').first()).toBeVisible();
    const done = await idleAt(page);
    total.push(done);
    // Render time: from the last lineage response to the graph drawn and the page idle again.
    render.push(done - (await responseEnd(page, '/lineage?direction=')));
    if (i === 0) results.lineageNodesInDom = await page.locator('.react-flow__node').count();
    await page.close();
  }
  results.lineage = { navigationToRenderedMs: stats(total), renderAfterDataMs: stats(render) };
});

test('compare: 10 runs × 10,000 points interactive', async ({ context }) => {
  const runs = (process.env.BENCH_COMPARE_RUNS ?? '').split(',').filter(Boolean);
  expect(runs, 'run.sh gives ten runs with metrics files').toHaveLength(10);
  const interactive: number[] = [];
  const smoothing: number[] = [];
  const hover: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const page = await context.newPage();
    await page.goto(`/compare?runs=${runs.join(',')}&step=train`);
    // Interactive: all ten curves of 10,000 points drawn, the controls on screen, the main thread free.
    await expect(page.getByTestId('compare-chart')).toHaveAttribute(
      'data-points',
      Array(10).fill(10000).join(','),
      {
        timeout: 60_000,
      },
    );
    await expect(page.getByLabel('Smoothing')).toBeEnabled();
    interactive.push(await idleAt(page));
    // An interaction: a new smoothing, from the input event to the chart redrawn and the thread free.
    smoothing.push(
      await page.getByLabel('Smoothing').evaluate(
        (el: HTMLInputElement) =>
          new Promise<number>((r) => {
            const t0 = performance.now();
            const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
            set.call(el, '0.9');
            el.dispatchEvent(new Event('input', { bubbles: true }));
            requestAnimationFrame(() => setTimeout(() => r(performance.now() - t0)));
          }),
      ),
    );
    const over = (await page.getByTestId('compare-chart').locator('.u-over').boundingBox())!;
    const t0 = await page.evaluate(() => performance.now());
    await page.mouse.move(over.x + over.width / 2, over.y + over.height / 2);
    hover.push((await idleAt(page)) - t0);
    await page.close();
  }
  results.compare = {
    navigationToInteractiveMs: stats(interactive),
    smoothingRedrawMs: stats(smoothing),
    hoverMs: stats(hover),
  };
});

test.afterAll(() => {
  writeFileSync(OUT, JSON.stringify(results, null, 2));
  console.log(JSON.stringify(results, null, 2));
});
