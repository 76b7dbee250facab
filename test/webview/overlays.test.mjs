// Other runs drawn over the loss and gradient-flow charts (LossChart/GradFlowChart.setOverlays),
// on the charts test page: colours per run that read in every theme, a legend, and the same
// transforms as the run's own lines.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openChartsPage, startChartsServer } from './chartsPage.mjs';
import { gradFlowFixture, lossCurve } from './fixtures.mjs';
import { colourOnChart, launchBrowser, nextFrames } from './harness.mjs';
import { THEMES } from './themes.mjs';

let server;
let browser;

before(async () => {
  server = await startChartsServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const overlay = (runId, label, offset, count = 300, gradFlow = null) => ({
  runId, label, train: lossCurve(0, count, 1, offset), val: lossCurve(0, Math.ceil(count / 20), 20, offset + 0.15), gradFlow,
});

/** rgb(r, g, b) → #rrggbb, as colourOnChart wants it. */
const hex = (css) => `#${css.match(/\d+/g).slice(0, 3).map((c) => Number(c).toString(16).padStart(2, '0')).join('')}`;

/** WCAG contrast ratio of two #rrggbb colours. */
function contrast(a, b) {
  const lum = (h) => {
    const [r, g, bl] = [1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16) / 255)
      .map((s) => (s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

async function assertClean(page, problems) {
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'CSP violations');
  assert.deepEqual(problems, [], 'console errors/warnings or page errors');
  await page.close();
}

for (const theme of ['light', 'dark', 'hc']) {
  test(`loss overlays: one colour per run that reads on the ${theme} background, a legend, lines where the runs are`, async () => {
    const { page, problems } = await openChartsPage(browser.context, server, theme);
    await page.evaluate(([train, val]) => window.charts.loss.setSeries(train, val), [lossCurve(0, 300), lossCurve(0, 15, 20, 0.15)]);
    // A worse run that trained as long, and a better one that stopped at step 149.
    await page.evaluate((list) => window.charts.loss.setOverlays(list), [overlay('run-a', 'gru 1×128 · prose.txt', 0.8), overlay('run-b', 'rnn 1×64 · prose.txt', -0.5, 150)]);
    await page.locator('#loss-chart[data-overlays="2"][data-train-points="300"]').waitFor({ timeout: 5_000 });
    await nextFrames(page);

    const legend = await page.locator('.overlay-legend li').evaluateAll((items) => items.map((li) => ({ text: li.textContent, runId: li.dataset.runId, color: li.dataset.color, swatch: getComputedStyle(li, '::before').borderTopColor })));
    assert.deepEqual(legend.map((l) => [l.text, l.runId]), [['gru 1×128 · prose.txt', 'run-a'], ['rnn 1×64 · prose.txt', 'run-b']]);
    assert.equal(await page.locator('.overlay-legend').isVisible(), true);
    const background = hex(await page.evaluate(() => getComputedStyle(document.body).backgroundColor));
    const own = [THEMES[theme].vars['--vscode-charts-blue'], THEMES[theme].vars['--vscode-charts-orange']];
    const colours = legend.map((l) => hex(l.color));
    for (const [i, l] of legend.entries()) {
      assert.equal(l.swatch, l.color, `legend swatch ${i} is drawn in its line's colour`);
      assert.ok(contrast(colours[i], background) >= 3, `overlay ${i} colour ${colours[i]} on ${background}: ${contrast(colours[i], background).toFixed(2)}`);
      for (const other of [...own, ...colours.filter((_, j) => j !== i)]) assert.notEqual(colours[i], other);
    }

    const main = await colourOnChart(page, own[0], 12);
    const a = await colourOnChart(page, colours[0], 12);
    const b = await colourOnChart(page, colours[1], 12);
    assert.ok(a.count > 300 && a.columns > a.width * 0.6, `run-a line: ${JSON.stringify(a)}`);
    // run-b stops at step 149 of 299: its line covers about half the width, from the left.
    assert.ok(b.count > 100 && b.columns < b.width * 0.6 && b.columns > b.width * 0.3, `run-b line: ${JSON.stringify(b)}`);
    assert.ok(a.meanYRight < main.meanYRight, `the worse run is drawn above: ${a.meanYRight} vs ${main.meanYRight}`);
    assert.ok(b.meanYLeft > main.meanYLeft, `the better run is drawn below: ${b.meanYLeft} vs ${main.meanYLeft}`);

    // New points of this run keep the overlays.
    await page.evaluate(([train, val]) => window.charts.loss.setSeries(train, val), [lossCurve(0, 320), lossCurve(0, 16, 20, 0.15)]);
    await page.locator('#loss-chart[data-train-points="320"]').waitFor();
    assert.ok((await colourOnChart(page, colours[0], 12)).count > 300, 'run-a still drawn after new points');

    await page.evaluate(() => window.charts.loss.setOverlays([]));
    await page.locator('#loss-chart[data-overlays="0"][data-train-points="320"]').waitFor();
    await nextFrames(page);
    assert.equal(await page.locator('.overlay-legend').isVisible(), false);
    assert.equal((await colourOnChart(page, colours[0], 12)).count, 0, 'run-a is gone');
    assert.ok((await colourOnChart(page, own[0], 12)).columns > main.width * 0.6, 'this run is still drawn');
    await assertClean(page, problems);
  });
}

test('loss overlays follow the units and smoothing of the chart', async () => {
  const { page, problems } = await openChartsPage(browser.context, server, 'dark');
  await page.evaluate(([train, val]) => window.charts.loss.setSeries(train, val), [lossCurve(0, 300), []]);
  await page.evaluate((o) => window.charts.loss.setOverlays([o]), overlay('run-a', 'a', 1.5));
  await page.locator('#loss-chart[data-overlays="1"][data-train-points="300"]').waitFor();
  await nextFrames(page);
  const colour = hex(await page.locator('.overlay-legend li').getAttribute('data-color'));
  const nats = await colourOnChart(page, colour, 12);
  // In bits the overlay is still drawn across the chart (its values converted like this run's).
  await page.evaluate(() => window.charts.loss.setView({ bits: true, logY: false, smoothing: 0.95 }));
  await page.locator('#loss-chart[data-units="bits"][data-train-points="300"]').waitFor();
  await nextFrames(page);
  const bits = await colourOnChart(page, colour, 12);
  assert.ok(bits.count > 300 && bits.columns > bits.width * 0.6, JSON.stringify(bits));
  const wiggle = (smoothing) => page.evaluate(async ([s, c]) => {
    window.charts.loss.setView({ bits: false, logY: false, smoothing: s });
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const shown = document.querySelector('#loss-chart canvas');
    const ctx = Object.assign(document.createElement('canvas'), { width: shown.width, height: shown.height }).getContext('2d', { willReadFrequently: true });
    ctx.drawImage(shown, 0, 0);
    const px = ctx.getImageData(0, 0, shown.width, shown.height).data;
    const t = [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16));
    // The topmost overlay pixel per column (the training line is above its validation line here).
    const ys = [];
    for (let x = 0; x < shown.width; x++) {
      for (let y = 0; y < shown.height; y++) {
        const i = (y * shown.width + x) * 4;
        if (px[i + 3] > 200 && Math.abs(px[i] - t[0]) < 12 && Math.abs(px[i + 1] - t[1]) < 12 && Math.abs(px[i + 2] - t[2]) < 12) { ys.push(y); break; }
      }
    }
    let jump = 0;
    for (let i = 1; i < ys.length; i++) jump += Math.abs(ys[i] - ys[i - 1]);
    return jump / Math.max(1, ys.length - 1);
  }, [smoothing, colour]);
  const raw = await wiggle(0);
  const smooth = await wiggle(0.95);
  assert.ok(smooth < raw * 0.7, `smoothing calms the overlay too: ${raw.toFixed(2)} → ${smooth.toFixed(2)} px`);
  assert.ok(nats.count > 300);
  await assertClean(page, problems);
});

test('gradient-flow overlays: each run\'s h and c by lag, relative to lag 0 or absolute, with a legend', async () => {
  const { page, problems } = await openChartsPage(browser.context, server, 'dark');
  const lags = Array.from({ length: 64 }, (_, k) => k);
  // The other run keeps its gradient far longer (0.95 per step against 0.9) and starts 100× larger.
  const steady = { step: 500, h: lags.map((k) => 2 * 0.95 ** k), c: lags.map((k) => 2 * 0.985 ** k), clipped: false };
  await page.evaluate((g) => window.charts.grad.set(g), gradFlowFixture());
  await page.evaluate((list) => window.charts.grad.setOverlays(list), [overlay('run-a', 'gru · steady', 0, 10, steady), overlay('run-b', 'not measured yet', 0, 10, null)]);
  await page.locator('#grad-chart[data-overlays="2"][data-lags="64"]').waitFor({ timeout: 5_000 });
  await nextFrames(page);
  assert.deepEqual(await page.locator('#grad-chart ~ .overlay-legend li, .chart-frame-small + .overlay-legend li').allInnerTexts(), ['gru · steady', 'not measured yet (no measurement)']);
  const colour = hex(await page.locator('.chart-frame-small + .overlay-legend li').first().getAttribute('data-color'));
  const sel = '#grad-chart canvas';
  const blue = THEMES.dark.vars['--vscode-charts-blue'];
  const rel = { other: await colourOnChart(page, colour, 12, sel), own: await colourOnChart(page, blue, 12, sel) };
  assert.ok(rel.other.count > 200 && rel.other.columns > rel.other.width * 0.6, `overlay line: ${JSON.stringify(rel.other)}`);
  // Relative to lag 0 both start at 1, and the steadier run stays higher at long lags.
  assert.ok(rel.other.meanYRight < rel.own.meanYRight - 20, `relative: ${JSON.stringify(rel)}`);

  await page.evaluate(() => window.charts.grad.setRelative(false));
  await page.locator('#grad-chart[data-relative="false"][data-lags="64"]').waitFor();
  await nextFrames(page);
  const abs = { other: await colourOnChart(page, colour, 12, sel), own: await colourOnChart(page, blue, 12, sel) };
  // As norms, the other run (2 at lag 0) starts far above this one (0.02).
  const gapLeft = (r) => r.own.meanYLeft - r.other.meanYLeft;
  assert.ok(gapLeft(abs) > gapLeft(rel) + 20, `absolute norms move the other run up: ${gapLeft(rel)} → ${gapLeft(abs)}`);

  await page.evaluate(() => window.charts.grad.setOverlays([]));
  await page.locator('#grad-chart[data-overlays="0"]').waitFor();
  await nextFrames(page);
  assert.equal((await colourOnChart(page, colour, 12, sel)).count, 0);
  await assertClean(page, problems);
});

test('a theme switch recolours the overlays and their legend', async () => {
  const { page, problems } = await openChartsPage(browser.context, server, 'light');
  await page.evaluate(([train, val]) => window.charts.loss.setSeries(train, val), [lossCurve(0, 300), []]);
  await page.evaluate((o) => window.charts.loss.setOverlays([o]), overlay('run-a', 'a', 0.8));
  await page.locator('#loss-chart[data-overlays="1"][data-train-points="300"]').waitFor();
  const light = await page.locator('.overlay-legend li').getAttribute('data-color');
  await page.evaluate((t) => window.__applyTheme(t), THEMES.dark);
  await page.waitForFunction((before) => document.querySelector('.overlay-legend li')?.dataset.color !== before, light);
  await page.locator('#loss-chart[data-train-points="300"]').waitFor();
  await nextFrames(page);
  const dark = await page.locator('.overlay-legend li').getAttribute('data-color');
  assert.equal(hex(dark), THEMES.dark.vars['--vscode-charts-green']);
  assert.ok((await colourOnChart(page, hex(dark), 12)).count > 300, 'the line is in the dark theme colour');
  assert.equal((await colourOnChart(page, hex(light), 6)).count, 0, 'no light theme colour left');
  await assertClean(page, problems);
});
