// Zooming the loss chart's x range in the panel: drag, wheel, double-click, and live updates that
// must not undo the user's range.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lossCurve, snapshot } from './fixtures.mjs';
import { assertClean, dragAcrossLossPlot, nextFrames, send, usePanelBrowser, waitForPoints } from './harness.mjs';

const lab = usePanelBrowser();

const zoom = (page) => page.locator('#loss-chart').evaluate((el) => ({ zoomed: el.dataset.zoomed, min: Number(el.dataset.xMin), max: Number(el.dataset.xMax) }));

/** A digest of the chart's pixels, to tell whether a redraw changed what is on screen. */
const picture = (page) => page.evaluate(() => {
  const shown = document.querySelector('#loss-chart canvas');
  const ctx = Object.assign(document.createElement('canvas'), { width: shown.width, height: shown.height }).getContext('2d', { willReadFrequently: true });
  ctx.drawImage(shown, 0, 0);
  const px = ctx.getImageData(0, 0, shown.width, shown.height).data;
  let h = 0;
  for (let i = 0; i < px.length; i++) h = (h * 31 + px[i]) >>> 0;
  return h;
});

async function plotBox(page) {
  await page.locator('#loss-chart .u-over').scrollIntoViewIfNeeded();
  return page.locator('#loss-chart .u-over').boundingBox();
}

test('loss chart: a drag zooms x, live updates keep the range, a double-click returns to following the data', async () => {
  const { page, problems } = await lab.open({ theme: 'dark' });
  await send(page, snapshot({ train: lossCurve(0, 300), val: lossCurve(0, 15, 20, 0.15) }));
  await waitForPoints(page, 300, 15);
  assert.deepEqual(await zoom(page), { zoomed: 'false', min: 0, max: 299 });

  await dragAcrossLossPlot(page, 0.25, 0.5);
  const held = await zoom(page);
  assert.ok(Math.abs(held.min - 0.25 * 299) < 4 && Math.abs(held.max - 0.5 * 299) < 4, `dragged range: ${JSON.stringify(held)}`);
  // The drag's selection box is gone once the chart has zoomed.
  assert.equal(await page.locator('#loss-chart .u-select').evaluate((el) => el.offsetWidth), 0);
  const zoomedPicture = await picture(page);

  // Training goes on past the range: neither the range nor anything inside it changes.
  await send(page, { type: 'metrics', runId: 'run-1', train: lossCurve(300, 100), val: lossCurve(300, 5, 20, 0.15), charsPerSec: 1 });
  await waitForPoints(page, 400, 20);
  await nextFrames(page);
  assert.deepEqual(await zoom(page), held, 'the user\'s range survives new points');
  assert.equal(await picture(page), zoomedPicture, 'the zoomed picture is unchanged by points outside it');

  // A rebuild (units) keeps the range as well.
  await page.locator('#loss-bits').click();
  await page.locator('#loss-chart[data-units="bits"][data-train-points="400"]').waitFor();
  assert.deepEqual(await zoom(page), held, 'the range survives a change of units');

  const box = await plotBox(page);
  await page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
  await page.locator('#loss-chart[data-zoomed="false"]').waitFor();
  await nextFrames(page);
  assert.deepEqual(await zoom(page), { zoomed: 'false', min: 0, max: 399 });
  // Following again: the next points widen the range.
  await send(page, { type: 'metrics', runId: 'run-1', train: lossCurve(400, 50), val: [], charsPerSec: 1 });
  await waitForPoints(page, 450, 20);
  await nextFrames(page);
  assert.deepEqual(await zoom(page), { zoomed: 'false', min: 0, max: 449 });
  await assertClean(page, problems);
});

test('loss chart: the wheel zooms x around the pointer, and zooming out to the whole run follows the data again', async () => {
  const { page, problems } = await lab.open({ theme: 'light' });
  await send(page, snapshot({ train: lossCurve(0, 300), val: lossCurve(0, 15, 20, 0.15) }));
  await waitForPoints(page, 300, 15);
  const box = await plotBox(page);
  const full = await picture(page);
  await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2);
  const scrollBefore = await page.evaluate(() => window.scrollY);
  await page.mouse.wheel(0, -100);
  await page.locator('#loss-chart[data-zoomed="true"]').waitFor({ timeout: 5_000 });
  await nextFrames(page);
  const once = await zoom(page);
  // Zoomed in by 1.25 around the step under the pointer (about 224): it stays where it was.
  const at = 0.75 * 299;
  assert.ok(Math.abs(once.max - once.min - 299 / 1.25) < 2, `range width: ${JSON.stringify(once)}`);
  assert.ok(Math.abs((at - once.min) / (once.max - once.min) - 0.75) < 0.02, `the pointer's step stays under the pointer: ${JSON.stringify(once)}`);
  assert.equal(await page.evaluate(() => window.scrollY), scrollBefore, 'the wheel zooms instead of scrolling the panel');
  assert.notEqual(await picture(page), full);

  await page.mouse.wheel(0, -100);
  await page.waitForFunction((w) => Number(document.getElementById('loss-chart').dataset.xMax) - Number(document.getElementById('loss-chart').dataset.xMin) < w - 1, once.max - once.min);
  // Zooming out stops at the whole run, which is the same as not being zoomed.
  for (let i = 0; i < 4; i++) await page.mouse.wheel(0, 100);
  await page.locator('#loss-chart[data-zoomed="false"]').waitFor();
  await nextFrames(page);
  assert.deepEqual(await zoom(page), { zoomed: 'false', min: 0, max: 299 });
  assert.equal(await picture(page), full, 'back to the picture of the whole run');
  await assertClean(page, problems);
});
