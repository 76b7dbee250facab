// The loss chart over training time ("time"): x in seconds for this run and, on the charts page,
// for the runs drawn over it; the zoom works in seconds and starts over when the axis changes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openChartsPage, startChartsServer } from './chartsPage.mjs';
import { lossCurve, snapshot, timed } from './fixtures.mjs';
import { dragAcrossLossPlot, launchBrowser, nextFrames, openPanel, requireBuild, send, startPanelServer, waitForPoints } from './harness.mjs';

let server;
let charts;
let browser;

before(async () => {
  requireBuild();
  server = await startPanelServer();
  charts = await startChartsServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await charts?.close();
});

const axis = (page) => page.locator('#loss-chart').evaluate((el) => ({
  unit: el.dataset.xUnit, zoomed: el.dataset.zoomed, min: Number(el.dataset.xMin), max: Number(el.dataset.xMax),
}));

async function assertClean(page, problems, violations = () => window.__test.violations) {
  assert.deepEqual(await page.evaluate(violations), [], 'CSP violations');
  assert.deepEqual(problems, [], 'console errors/warnings or page errors');
  await page.close();
}

test('loss chart: "time" puts x in seconds of training, leaves out points without a time, and is kept in the saved state', async () => {
  const { page, problems } = await openPanel(browser.context, server, { theme: 'dark' });
  // 300 steps at 0.4 s each (0 … 119.6 s); validation every 20 steps at the same times. The first
  // 10 steps come from before points had a time.
  const train = [...lossCurve(0, 10), ...timed(lossCurve(10, 290), 0.4)];
  const val = timed(lossCurve(0, 15, 20, 0.15), 0.4);
  await send(page, snapshot({ train, val }));
  await waitForPoints(page, 300, 15);
  assert.deepEqual(await axis(page), { unit: 'steps', zoomed: 'false', min: 0, max: 299 });

  await page.locator('#loss-time').click();
  await page.locator('#loss-chart[data-x-unit="seconds"][data-train-points="290"][data-val-points="15"]').waitFor({ timeout: 5_000 });
  await nextFrames(page);
  assert.deepEqual(await axis(page), { unit: 'seconds', zoomed: 'false', min: 0, max: 119.6 }, 'x spans the seconds of the data');
  assert.match(await page.locator('#loss-chart').getAttribute('aria-label'), /by training time/);

  // New points widen the time axis.
  await send(page, { type: 'metrics', runId: 'run-1', train: timed(lossCurve(300, 50), 0.4), val: [], charsPerSec: 1 });
  await page.locator('#loss-chart[data-train-points="340"]').waitFor();
  await nextFrames(page);
  assert.equal((await axis(page)).max, 139.6);

  // A drag zooms in seconds.
  await dragAcrossLossPlot(page, 0.25, 0.5);
  const held = await axis(page);
  assert.ok(Math.abs(held.min - 0.25 * 139.6) < 2 && Math.abs(held.max - 0.5 * 139.6) < 2, `dragged range in seconds: ${JSON.stringify(held)}`);

  // Back to steps: the zoom starts over, over the whole run.
  await page.locator('#loss-time').click();
  await page.locator('#loss-chart[data-x-unit="steps"][data-train-points="350"]').waitFor();
  await nextFrames(page);
  assert.deepEqual(await axis(page), { unit: 'steps', zoomed: 'false', min: 0, max: 349 });

  await page.locator('#loss-time').click();
  await page.locator('#loss-chart[data-x-unit="seconds"][data-train-points="340"]').waitFor();
  await page.waitForTimeout(1200); // the saved state is written at most once a second
  assert.equal((await page.evaluate(() => window.__test.state)).lossView.time, true);
  await assertClean(page, problems);
});

test('loss chart: a saved "time" comes back checked, with x in seconds', async () => {
  const { page, problems } = await openPanel(browser.context, server, { savedState: { lossView: { bits: false, logY: false, smoothing: 0.6, time: true } } });
  await send(page, snapshot({ train: timed(lossCurve(0, 100), 1.5), val: timed(lossCurve(0, 5, 20), 1.5) }));
  await page.locator('#loss-chart[data-x-unit="seconds"][data-train-points="100"]').waitFor({ timeout: 5_000 });
  await nextFrames(page);
  assert.deepEqual(await axis(page), { unit: 'seconds', zoomed: 'false', min: 0, max: 148.5 });
  assert.equal(await page.locator('#loss-time').evaluate((el) => el.checked), true);
  await assertClean(page, problems);
});

test('loss overlays: in time, other runs are placed by their seconds too', async () => {
  const { page, problems } = await openChartsPage(browser.context, charts, 'dark');
  await page.evaluate(() => window.charts.loss.setView({ bits: false, logY: false, smoothing: 0.6, time: true }));
  await page.evaluate(([train, val]) => window.charts.loss.setSeries(train, val), [timed(lossCurve(0, 300), 0.2), timed(lossCurve(0, 15, 20), 0.2)]);
  // A slower run: fewer steps in more time.
  const slow = { runId: 'run-slow', label: 'lstm 2×256 · prose.txt', train: timed(lossCurve(0, 100, 1, 0.5), 1), val: timed(lossCurve(0, 5, 20, 0.6), 1), gradFlow: null };
  await page.evaluate((list) => window.charts.loss.setOverlays(list), [slow]);
  await page.locator('#loss-chart[data-overlays="1"][data-train-points="300"]').waitFor({ timeout: 5_000 });
  await nextFrames(page);
  // Steps would end at 299; seconds end at the slow run's 99.
  assert.deepEqual(await axis(page), { unit: 'seconds', zoomed: 'false', min: 0, max: 99 });
  await page.evaluate(() => window.charts.loss.setView({ bits: false, logY: false, smoothing: 0.6, time: false }));
  await page.locator('#loss-chart[data-x-unit="steps"][data-train-points="300"]').waitFor();
  await nextFrames(page);
  assert.deepEqual(await axis(page), { unit: 'steps', zoomed: 'false', min: 0, max: 299 });
  await assertClean(page, problems, () => window.__violations);
});
