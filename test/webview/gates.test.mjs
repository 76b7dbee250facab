// The gates card beyond the heatmap itself: saturation scatter plots per gate, and pinned units.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshot } from './fixtures.mjs';
import { assertClean, nextFrames, send, usePanelBrowser } from './harness.mjs';
import { THEMES } from './themes.mjs';

const lab = usePanelBrowser();

const TOKENS = [...'abcdefghijklmnop'];
const UNITS = 8;

/**
 * Two layers of 8 units over 16 tokens. Layer 1: forget unit u is shut (0.05) on its first 2u
 * tokens and open (0.95) on its last 8 − u, so it sits at (u/8, (8 − u)/16); every input gate is
 * 0.5 (all units at the origin); output gates flip between 0.02 and 0.98 (all at (0.5, 0.5)).
 * Layer 2's gates are all 0.5. h is +0.8 for even units, −0.8 for odd ones.
 */
function saturationTrace() {
  const layer = (first) => {
    const values = {};
    for (const name of ['input', 'forget', 'output', 'candidate', 'c', 'h']) {
      values[name] = [];
      for (let t = 0; t < TOKENS.length; t++) {
        for (let u = 0; u < UNITS; u++) {
          let x = 0.5;
          if (name === 'forget' && first) x = t < 2 * u ? 0.05 : t >= TOKENS.length - (8 - u) ? 0.95 : 0.5;
          if (name === 'output' && first) x = t % 2 === 0 ? 0.02 : 0.98;
          if (name === 'h' || name === 'c' || name === 'candidate') x = u % 2 === 0 ? 0.8 : -0.8;
          values[name].push(x);
        }
      }
    }
    return { units: UNITS, values };
  };
  return { step: 300, tokens: TOKENS, offsets: TOKENS.map((_, i) => 200 + i), layers: [layer(true), layer(false)], gates: ['input', 'forget', 'output'] };
}

/** The RGBA of a canvas pixel at CSS px (x, y) of the element matched by `selector`. */
const canvasPixel = (page, selector, x, y) => page.evaluate(([sel, cx, cy]) => {
  const shown = document.querySelector(sel);
  const scale = shown.width / shown.clientWidth;
  const ctx = Object.assign(document.createElement('canvas'), { width: shown.width, height: shown.height }).getContext('2d', { willReadFrequently: true });
  ctx.drawImage(shown, 0, 0);
  return Array.from(ctx.getImageData(Math.floor(cx * scale), Math.floor(cy * scale), 1, 1).data);
}, [selector, x, y]);

/** Where a point at fractions (shut, open) is drawn, in CSS px of a 150 px saturation plot. */
const pointAt = (shut, open) => [30 + shut * 112, 122 - open * 114];

const choose = (page, id, value) => page.locator(id).evaluate((el, v) => { el.value = v; el.dispatchEvent(new Event('change')); }, value);

test('saturation: one scatter plot per gate of the layer, a point per unit where its gate is shut and open', async () => {
  const { page, problems } = await lab.open({ theme: 'dark' });
  await send(page, snapshot());
  assert.equal(await page.locator('#gates-saturation').isVisible(), false, 'nothing to show before a trace');
  await send(page, { type: 'trace', runId: 'run-1', trace: saturationTrace() });
  await page.locator('#gates-saturation[data-gates="input,forget,output"][data-layer="0"]').waitFor({ timeout: 5_000 });
  await page.locator('#gates-saturation').scrollIntoViewIfNeeded();
  const figures = await page.locator('#gates-saturation figure').evaluateAll((els) => els.map((f) => [f.dataset.gate, f.dataset.points, f.querySelector('figcaption').textContent]));
  assert.deepEqual(figures, [['input', '8', 'input'], ['forget', '8', 'forget'], ['output', '8', 'output']]);
  assert.match(await page.locator('#gates-saturation .chart-note').innerText(), /below 0\.1.*above 0\.9/);

  const forget = '#gates-saturation figure[data-gate="forget"] canvas';
  const bg = [0x1f, 0x1f, 0x1f];
  const isPoint = ([r, g, b]) => b > r + 60 && b > bg[2] + 60;
  for (const u of [0, 3, 7]) {
    const px = await canvasPixel(page, forget, ...pointAt(u / 8, (8 - u) / 16));
    assert.ok(isPoint(px), `forget unit ${u} is drawn at (${u / 8}, ${(8 - u) / 16}): ${px}`);
  }
  // Nothing where no unit is (beyond the diagonal), and no forget unit at the origin.
  assert.ok(!isPoint(await canvasPixel(page, forget, ...pointAt(0.8, 0.8))));
  assert.ok(!isPoint(await canvasPixel(page, forget, ...pointAt(0, 0))));
  assert.ok(isPoint(await canvasPixel(page, '#gates-saturation figure[data-gate="input"] canvas', ...pointAt(0, 0))), 'input units at the origin');
  assert.ok(isPoint(await canvasPixel(page, '#gates-saturation figure[data-gate="output"] canvas', ...pointAt(0.5, 0.5))), 'output units on the diagonal');

  // Hovering a point names its unit; a point shared by several units names them all.
  const box = await page.locator(forget).boundingBox();
  const [x7, y7] = pointAt(7 / 8, 1 / 16);
  await page.mouse.move(box.x + x7, box.y + y7);
  const tip = page.locator('#gates-saturation .heatmap-tooltip');
  assert.equal(await tip.isVisible(), true);
  assert.equal(await tip.textContent(), 'unit 7 · shut 88% · open 6%');
  const inputBox = await page.locator('#gates-saturation figure[data-gate="input"] canvas').boundingBox();
  await page.mouse.move(inputBox.x + pointAt(0, 0)[0], inputBox.y + pointAt(0, 0)[1]);
  assert.equal(await tip.textContent(), 'units 0, 1, 2, 3, 4, 5, 6, 7 · shut 0% · open 0%');
  await page.mouse.move(inputBox.x + 100, inputBox.y + 20);
  assert.equal(await tip.isVisible(), false);

  // The layer choice applies: layer 2's forget gates all sit at the origin.
  await choose(page, '#gates-layer', '1');
  await page.locator('#gates-saturation[data-layer="1"]').waitFor();
  assert.ok(!isPoint(await canvasPixel(page, forget, ...pointAt(7 / 8, 1 / 16))), 'unit 7 moved');
  assert.ok(isPoint(await canvasPixel(page, forget, ...pointAt(0, 0))), 'to the origin');

  // A cell without gates (a vanilla RNN) has nothing to plot.
  const rnn = { step: 1, tokens: ['a', 'b'], offsets: [0, 1], layers: [{ units: 2, values: { h: [0.1, 0.2, 0.3, 0.4] } }], gates: [] };
  await send(page, { type: 'trace', runId: 'run-1', trace: rnn });
  await page.locator('#gates-saturation[data-gates=""]').waitFor({ state: 'attached' });
  assert.equal(await page.locator('#gates-saturation').isVisible(), false);
  await assertClean(page, problems);
});

test('saturation plots are redrawn in the new theme\'s colours', async () => {
  const { page, problems } = await lab.open({ theme: 'light' });
  await send(page, snapshot(), { type: 'trace', runId: 'run-1', trace: saturationTrace() });
  await page.locator('#gates-saturation[data-gates="input,forget,output"]').waitFor({ timeout: 5_000 });
  const forget = '#gates-saturation figure[data-gate="forget"] canvas';
  const lightPoint = await canvasPixel(page, forget, ...pointAt(7 / 8, 1 / 16));
  await page.evaluate((t) => window.__test.applyTheme(t), THEMES.hc);
  await nextFrames(page);
  const hcPoint = await canvasPixel(page, forget, ...pointAt(7 / 8, 1 / 16));
  // Translucent dots in the theme's line colour, which differs between the two themes.
  const rgb = (hex) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  const near = (px, hex) => px[3] > 100 && rgb(hex).every((v, i) => Math.abs(px[i] - v) <= 3);
  assert.ok(near(lightPoint, THEMES.light.vars['--vscode-charts-blue']), `light: ${lightPoint}`);
  assert.ok(near(hcPoint, THEMES.hc.vars['--vscode-charts-blue']), `high contrast: ${hcPoint}`);
  await assertClean(page, problems);
});

test('pinned units: gutter click or shift-click pins, they head every order with a marker, click again unpins, kept across reloads', async () => {
  const first = await lab.open({ theme: 'dark' });
  const page = first.page;
  await send(page, snapshot(), { type: 'trace', runId: 'run-1', trace: saturationTrace() });
  await page.locator('#gates-heatmap[data-tokens="16"][data-units="8"]').waitFor({ timeout: 5_000 });
  await choose(page, '#gates-name', 'h');
  await page.locator('#gates-heatmap[data-name="h"]').waitFor();
  assert.equal(await page.locator('#gates-heatmap').getAttribute('data-pinned'), '');
  await page.locator('#gates-heatmap .gate-canvas').scrollIntoViewIfNeeded();
  const gutter = await page.locator('#gates-heatmap .gate-gutter').boundingBox();
  const cells = await page.locator('#gates-heatmap .gate-canvas').boundingBox();
  const rowY = (r) => cells.y + cells.height * ((r + 0.5) / UNITS);
  assert.ok(Math.abs(gutter.height - cells.height) < 1 && gutter.x + gutter.width <= cells.x + 1, `gutter beside the rows: ${JSON.stringify({ gutter, cells })}`);

  // Hovering the gutter says what a click does; clicking pins unit 3 (row 3 in unit order).
  await page.mouse.move(gutter.x + gutter.width / 2, rowY(3));
  assert.equal(await page.locator('#gates-tooltip').textContent(), 'unit 3 · click to pin to the top');
  await page.mouse.click(gutter.x + gutter.width / 2, rowY(3));
  await page.locator('#gates-heatmap[data-pinned="3"]').waitFor();
  // Rows are now 3, 0, 1, 2, 4, 5, …: shift-clicking row 5 pins unit 5, and reveals nothing.
  const postedBefore = (await page.evaluate(() => window.__test.posted)).length;
  await page.keyboard.down('Shift');
  await page.mouse.click(cells.x + cells.width / 2, rowY(5));
  await page.keyboard.up('Shift');
  await page.locator('#gates-heatmap[data-pinned="3,5"]').waitFor();
  assert.equal((await page.evaluate(() => window.__test.posted)).length, postedBefore, 'a shift-click does not reveal a token');

  // By mean the positive (even) units come first, but the pinned negative ones stay on top.
  await choose(page, '#gates-order', 'mean');
  await page.locator('#gates-heatmap[data-order="mean"]').waitFor();
  const cell = async (r) => canvasPixel(page, '#gates-heatmap .gate-canvas', cells.width / 2, (cells.height * (r + 0.5)) / UNITS);
  const blue = ([r, , b]) => b > r + 50;
  const red = ([r, , b]) => r > b + 50;
  const [row0, row1, row2, row7] = [await cell(0), await cell(1), await cell(2), await cell(7)];
  assert.ok(blue(row0) && blue(row1) && red(row2) && blue(row7), `pinned blue rows on top, then red: ${[row0, row1, row2, row7].join(' / ')}`);
  await page.mouse.move(cells.x + cells.width / 2, rowY(1));
  assert.match(await page.locator('#gates-tooltip').textContent(), /^unit 5 · /);
  // The gutter marks the two pinned rows, in the text colour, and nothing else.
  const marker = async (r) => canvasPixel(page, '#gates-heatmap .gate-gutter', 5, (gutter.height * (r + 0.5)) / UNITS);
  const fg = [0xcc, 0xcc, 0xcc];
  const near = (px, c) => px[3] > 200 && c.every((v, i) => Math.abs(px[i] - v) < 24);
  assert.ok(near(await marker(0), fg) && near(await marker(1), fg), `markers: ${await marker(0)} / ${await marker(1)}`);
  assert.ok(!near(await marker(2), fg) && !near(await marker(5), fg), 'no marker on unpinned rows');

  // A plain click on a column still reveals its token.
  await page.mouse.click(cells.x + cells.width * (3.5 / 16), rowY(4));
  assert.deepEqual((await page.evaluate(() => window.__test.posted)).at(-1), { type: 'reveal', offset: 203 });
  assert.equal(await page.locator('#gates-heatmap').getAttribute('data-pinned'), '3,5');

  // Clicking a pinned unit's gutter again unpins it.
  await page.mouse.move(gutter.x + gutter.width / 2, rowY(0));
  assert.equal(await page.locator('#gates-tooltip').textContent(), 'unit 3 · click to unpin');
  await page.mouse.click(gutter.x + gutter.width / 2, rowY(0));
  await page.locator('#gates-heatmap[data-pinned="5"]').waitFor();
  await page.waitForFunction(() => JSON.stringify(window.__test.state?.pinnedUnits) === '[5]', undefined, { timeout: 5_000 });
  const savedState = await page.evaluate(() => window.__test.state);
  await assertClean(page, first.problems);

  // The re-created webview gets the saved state back: unit 5 is still pinned, and on top.
  const second = await lab.open({ theme: 'dark', savedState });
  await second.page.locator('#gates-heatmap[data-pinned="5"]').waitFor({ state: 'attached' });
  await send(second.page, snapshot(), { type: 'trace', runId: 'run-1', trace: saturationTrace() });
  await second.page.locator('#gates-heatmap[data-tokens="16"]').waitFor({ timeout: 5_000 });
  await second.page.locator('#gates-heatmap .gate-canvas').scrollIntoViewIfNeeded();
  const again = await second.page.locator('#gates-heatmap .gate-canvas').boundingBox();
  await second.page.mouse.move(again.x + again.width / 2, again.y + again.height * (0.5 / UNITS));
  assert.match(await second.page.locator('#gates-tooltip').textContent(), /^unit 5 · /);
  await assertClean(second.page, second.problems);
});
