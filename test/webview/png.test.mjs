// Saving a chart as PNG: the panel sends an opaque image of what it drew, over the theme's background.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lossCurve, snapshot } from './fixtures.mjs';
import { assertClean, colourOnChart, send, usePanelBrowser, waitForPoints } from './harness.mjs';
import { THEMES } from './themes.mjs';

const lab = usePanelBrowser();

/**
 * Draws the PNG the panel posted last into a canvas (id `png-check`) of a blank page (the panel's
 * CSP keeps data: images out) and returns that page, the image's size and its corner pixel.
 */
async function drawPosted(page) {
  const m = await page.evaluate(() => window.__test.posted.filter((x) => x.type === 'savePng').pop() ?? null);
  if (!m) return null;
  const blank = await page.context().newPage();
  const drawn = await blank.evaluate(async (dataUrl) => {
    const img = new Image();
    img.src = dataUrl;
    await img.decode();
    const c = document.createElement('canvas');
    c.id = 'png-check';
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(img, 0, 0);
    document.body.append(c);
    return { width: c.width, height: c.height, corner: [...ctx.getImageData(0, 0, 1, 1).data] };
  }, m.dataUrl);
  return { ...drawn, chart: m.chart, blank };
}

test('PNG saves the loss chart as drawn: both lines, opaque on the theme background, at the canvas size', async () => {
  const { page, problems } = await lab.open({ theme: 'dark' });
  // Before any run the chart's card is not shown; its button sends nothing.
  await page.evaluate(() => document.getElementById('png-loss').click());
  assert.equal(await drawPosted(page), null, 'nothing drawn yet, nothing sent');
  await send(page, snapshot({ train: lossCurve(0, 300), val: lossCurve(0, 15, 20, 0.15) }));
  await waitForPoints(page, 300, 15);
  await page.locator('#png-loss').click();
  await page.waitForFunction(() => window.__test.posted.some((x) => x.type === 'savePng'));
  const image = await drawPosted(page);
  const canvas = await page.evaluate(() => { const c = document.querySelector('#loss-chart canvas'); return { width: c.width, height: c.height }; });
  assert.deepEqual([image.chart, image.width, image.height], ['loss', canvas.width, canvas.height]);
  const bg = THEMES.dark.vars['--vscode-editor-background'] ?? THEMES.dark.vars['--vscode-sideBar-background'];
  const expected = [1, 3, 5].map((i) => Number.parseInt(bg.slice(i, i + 2), 16));
  assert.equal(image.corner[3], 255, 'opaque');
  assert.ok(image.corner.slice(0, 3).every((v, i) => Math.abs(v - expected[i]) <= 2), `corner ${image.corner} is the background ${bg}`);
  const train = await colourOnChart(image.blank, THEMES.dark.vars['--vscode-charts-blue'], 12, '#png-check');
  await image.blank.close();
  assert.ok(train.count > 500 && train.meanYLeft < train.meanYRight, `the falling train line is in the image: ${JSON.stringify(train)}`);
  await assertClean(page, problems);
});
