// Screenshots of the comparison and inspection features in light, dark and high-contrast themes,
// written to test-results/ for people to look at: the loss and gradient charts with two other
// runs (test-results/overlays-*.png), and the gates card with pinned units and the saturation
// plots (test-results/gates-*.png).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openChartsPage, startChartsServer } from './chartsPage.mjs';
import { gradFlowFixture, lossCurve, snapshot, traceFixture } from './fixtures.mjs';
import { launchBrowser, nextFrames, openPanel, RESULTS, send, startPanelServer, waitForPoints } from './harness.mjs';

let panelServer;
let chartsServer;
let browser;

before(async () => {
  mkdirSync(RESULTS, { recursive: true });
  panelServer = await startPanelServer();
  chartsServer = await startChartsServer();
  browser = await launchBrowser({ deviceScaleFactor: 1, width: 820, height: 860 });
});

after(async () => {
  await browser?.close();
  await chartsServer?.close();
  await panelServer?.close();
});

const lags = Array.from({ length: 64 }, (_, k) => k);
const OVERLAYS = [
  { runId: 'a', label: 'gru 1×128 · sonnets.txt', train: lossCurve(0, 600, 1, 0.5), val: lossCurve(0, 24, 25, 0.65), gradFlow: { step: 590, h: lags.map((k) => 0.03 * 0.95 ** k), c: [], clipped: false } },
  { runId: 'b', label: 'rnn 1×128 · sonnets.txt', train: lossCurve(0, 400, 1, 1.1), val: lossCurve(0, 16, 25, 1.3), gradFlow: { step: 390, h: lags.map((k) => 0.05 * 0.7 ** k), c: [], clipped: false } },
  { runId: 'c', label: 'peephole 2×64 · sonnets.txt', train: lossCurve(0, 500, 1, -0.2), val: lossCurve(0, 20, 25, -0.05), gradFlow: null },
];

/** traceFixture with a wider spread of gate values, so that the saturation plots have shape. */
function spreadTrace() {
  const t = traceFixture();
  for (const layer of t.layers) {
    for (const gate of t.gates) {
      const v = layer.values[gate];
      for (let i = 0; i < v.length; i++) {
        const u = i % layer.units;
        const tok = Math.floor(i / layer.units);
        v[i] = 1 / (1 + Math.exp(-(((u * 7 + tok * 3 + gate.length) % 11) - 5) * (0.4 + u * 0.15)));
      }
    }
  }
  return t;
}

for (const theme of ['light', 'dark', 'hc']) {
  test(`other runs over the charts in the ${theme} theme (test-results/overlays-${theme}.png)`, async () => {
    const { page, problems } = await openChartsPage(browser.context, chartsServer, theme);
    await page.evaluate(([train, val, g, overlays]) => {
      window.charts.loss.setSeries(train, val);
      window.charts.loss.setOverlays(overlays);
      window.charts.grad.set(g);
      window.charts.grad.setOverlays(overlays);
    }, [lossCurve(0, 600), lossCurve(0, 24, 25, 0.12), gradFlowFixture(), OVERLAYS]);
    await page.locator('#loss-chart[data-overlays="3"][data-train-points="600"]').waitFor({ timeout: 5_000 });
    await page.locator('#grad-chart[data-overlays="3"][data-lags="64"]').waitFor({ timeout: 5_000 });
    await nextFrames(page);
    await page.screenshot({ path: join(RESULTS, `overlays-${theme}.png`), fullPage: true });
    assert.equal(await page.locator('.overlay-legend li').count(), 6);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test(`gates card with pinned units and saturation plots in the ${theme} theme (test-results/gates-${theme}.png)`, async () => {
    const { page, problems } = await openPanel(browser.context, panelServer, { theme, savedState: undefined });
    await send(page, snapshot({ train: lossCurve(0, 600), val: lossCurve(0, 24, 25, 0.12) }), { type: 'trace', runId: 'run-1', trace: spreadTrace() });
    await waitForPoints(page, 600, 24);
    await page.locator('#gates-saturation[data-gates="input,forget,output"]').waitFor({ timeout: 5_000 });
    await page.locator('#gates-heatmap .gate-gutter').scrollIntoViewIfNeeded();
    const gutter = await page.locator('#gates-heatmap .gate-gutter').boundingBox();
    // Rows 2 and then 5 (unit 5 is still in row 5 once unit 2 heads the rows).
    for (const row of [2, 5]) await page.mouse.click(gutter.x + 7, gutter.y + gutter.height * ((row + 0.5) / 8));
    await page.locator('#gates-heatmap[data-pinned="2,5"]').waitFor();
    await nextFrames(page);
    const card = page.locator('section[aria-labelledby="gates-title"]');
    await card.screenshot({ path: join(RESULTS, `gates-${theme}.png`) });
    assert.deepEqual(problems, []);
    await page.close();
  });
}
