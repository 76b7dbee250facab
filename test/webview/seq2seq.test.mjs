// The sequence-to-sequence card: accuracy lines, the attention map with its tooltip, gradient by
// source position and examples, drawn from given data in light, dark and high-contrast themes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { snapshot } from './fixtures.mjs';
import { assertClean, nextFrames, RESULTS, send, usePanelBrowser } from './harness.mjs';

const lab = usePanelBrowser();

const SOURCE = [...'stressed'];
const OUTPUT = [...'desserts', '</s>'];

/** Attention on the mirrored position (0.9) for every written letter; the end marker looks at the first letter. */
function reversalView(status = 'running') {
  const weights = OUTPUT.map((_, r) => SOURCE.map((_, c) => {
    const focus = r < SOURCE.length ? SOURCE.length - 1 - r : 0;
    return c === focus ? 0.9 : 0.1 / (SOURCE.length - 1);
  }));
  return {
    runId: 's2s-1', fileName: 'reverse.txt', status, message: null,
    summary: 'lstm 1×128, attention dot, char tokens, 60 s · 10,800 training pairs, 1,200 held out, vocabulary 30, batch 64',
    step: 420, tokensPerSec: 17000,
    evals: [
      { step: 0, seconds: 0, loss: 3.3, tokenAccuracy: 0.05, exactMatch: 0 },
      { step: 150, seconds: 10, loss: 1.2, tokenAccuracy: 0.6, exactMatch: 0.1 },
      { step: 300, seconds: 20, loss: 0.2, tokenAccuracy: 0.99, exactMatch: 0.95 },
    ],
    examples: [
      { source: 'stressed', target: 'desserts', output: 'desserts', correct: true },
      { source: 'drawer', target: 'reward', output: 'rewadr', correct: false },
    ],
    attention: { source: SOURCE, output: OUTPUT, weights, probs: OUTPUT.map(() => 0.97) },
    sourceGradNorms: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
    compare: [],
    focus: null,
  };
}

/** The RGBA of the attention canvas at the centre of cell (row, column). */
const cellPixel = (page, r, c) => page.evaluate(([row, col]) => {
  const canvas = document.querySelector('#s2s-attention canvas');
  // A copy to read from: reading the shown canvas again and again draws a console warning.
  const ctx = Object.assign(document.createElement('canvas'), { width: canvas.width, height: canvas.height }).getContext('2d', { willReadFrequently: true });
  ctx.drawImage(canvas, 0, 0);
  // Labels take 28 px; cells are square (see webview/seq2seqView.ts).
  const cell = (canvas.width - 28) / 8;
  return Array.from(ctx.getImageData(Math.floor(28 + (col + 0.5) * cell), Math.floor(28 + (row + 0.5) * cell), 1, 1).data);
}, [r, c]);

for (const theme of ['light', 'dark', 'hc']) {
  test(`seq2seq card in the ${theme} theme: accuracy, attention map near the anti-diagonal, gradient bars, examples`, async () => {
    const { page, problems } = await lab.open({ theme });
    await send(page, snapshot());
    assert.equal(await page.locator('#s2s-card').isVisible(), false, 'hidden without a sequence-to-sequence run');
    await send(page, { type: 'seq2seq', view: reversalView() });
    await page.locator('#s2s-card').waitFor({ state: 'visible', timeout: 5_000 });
    await page.locator('#s2s-attention[data-rows="9"][data-columns="8"]').waitFor();
    assert.match(await page.locator('#s2s-status').innerText(), /^reverse\.txt: training · step 420 · 17,000 tokens\/s · exact match 95\.0%, tokens 99\.0% after 20 s$/);
    assert.equal(await page.locator('#s2s-accuracy').getAttribute('data-points'), '3');
    assert.equal(await page.locator('#s2s-accuracy polyline').count(), 2);
    // The loss from the evaluations after training began (the first comes before any step).
    assert.equal(await page.locator('#s2s-loss').getAttribute('data-points'), '2');
    const lossYs = await page.locator('#s2s-loss polyline.loss').evaluate((p) => p.getAttribute('points').split(' ').map((xy) => Number(xy.split(',')[1])));
    assert.ok(lossYs.length === 2 && lossYs[1] > lossYs[0], `the loss falls (y grows downwards): ${lossYs}`);
    assert.equal(await page.locator('#s2s-grad rect').count(), 8);
    assert.equal(await page.locator('#s2s-grad').getAttribute('data-positions'), '8');
    // Bars grow with the norm: the last is the tallest.
    const heights = await page.locator('#s2s-grad rect').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('height'))));
    assert.ok(heights.every((h, i) => i === 0 || h > heights[i - 1]), heights.join(','));
    const rows = await page.locator('#s2s-examples tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    assert.deepEqual(rows, [['✓', 'stressed', 'desserts', 'desserts'], ['✗', 'drawer', 'rewadr', 'reward']]);
    assert.equal(await page.locator('#s2s-attention-caption').innerText(), 'stressed → desserts · rows: written tokens (the last one the end), columns: source tokens');

    // Bright (0.9, yellow end of the map) on the anti-diagonal, dark elsewhere.
    const bright = ([r, g, b]) => r > 180 && g > 180 && b < 120;
    for (const r of [0, 3, 7]) {
      assert.ok(bright(await cellPixel(page, r, SOURCE.length - 1 - r)), `row ${r} on the mirror`);
      assert.ok(!bright(await cellPixel(page, r, (SOURCE.length - r) % SOURCE.length)), `row ${r} elsewhere`);
    }
    // The tooltip names what was written and where it looked.
    await page.locator('#s2s-attention canvas').scrollIntoViewIfNeeded();
    const box = await page.locator('#s2s-attention canvas').boundingBox();
    const cssCell = (box.width - 28) / 8;
    await page.mouse.move(box.x + 28 + 7.5 * cssCell, box.y + 28 + 0.5 * cssCell);
    const tip = page.locator('#s2s-attention-tooltip');
    assert.equal(await tip.isVisible(), true);
    assert.equal(await tip.textContent(), 'wrote d (p 0.97)\nlooking at d (source 8): 0.900');
    await page.mouse.move(box.x + 2, box.y + 2);
    assert.equal(await tip.isVisible(), false);
    await nextFrames(page);
    await page.locator('#s2s-card').screenshot({ path: join(RESULTS, `seq2seq-card-${theme}.png`) });
    await assertClean(page, problems);
  });
}

test('seq2seq card: no attention says so; a malformed map is dropped; a finished run shows its status', async () => {
  const { page, problems } = await lab.open({ theme: 'dark' });
  const none = { ...reversalView('completed'), summary: 'lstm 1×128, attention none, char tokens, 60 s', attention: null };
  await send(page, snapshot(), { type: 'seq2seq', view: none });
  await page.locator('#s2s-card').waitFor({ state: 'visible', timeout: 5_000 });
  assert.equal(await page.locator('#s2s-attention-caption').innerText(), 'This model has no attention.');
  assert.match(await page.locator('#s2s-status').innerText(), /^reverse\.txt: completed/);
  // Rows of the wrong width: the map is not drawn, the rest still is.
  const bad = reversalView();
  bad.attention.weights[2] = [0.5];
  await send(page, { type: 'seq2seq', view: bad });
  await page.locator('#s2s-attention[data-rows="0"]').waitFor();
  assert.equal(await page.locator('#s2s-examples tr').count(), 2);
  await send(page, { type: 'seq2seq', view: null });
  await page.locator('#s2s-card').waitFor({ state: 'hidden' });
  await assertClean(page, problems);
});

test('seq2seq card: earlier runs on the file are drawn dashed beside this one, with a legend', async () => {
  const { page, problems } = await lab.open({ theme: 'light' });
  const view = reversalView('completed');
  view.compare = [
    { runId: 's2s-0', label: 'lstm 1×128, attention none', evals: [{ step: 0, seconds: 0, loss: 3, tokenAccuracy: 0.05, exactMatch: 0 }, { step: 900, seconds: 60, loss: 0.1, tokenAccuracy: 0.98, exactMatch: 0.928 }] },
  ];
  await send(page, snapshot(), { type: 'seq2seq', view });
  await page.locator('#s2s-compare[data-runs="1"]').waitFor({ timeout: 5_000 });
  assert.deepEqual(await page.locator('#s2s-compare li').allInnerTexts(), ['lstm 1×128, attention none: 92.8% after 60 s']);
  assert.equal(await page.locator('#s2s-accuracy polyline.other-1').count(), 1);
  // The time axis covers the longer run: this run's last point (20 s) sits a third of the way.
  const last = await page.locator('#s2s-accuracy polyline.exact').evaluate((p) => p.getAttribute('points').split(' ').pop().split(',').map(Number));
  const width = await page.locator('#s2s-accuracy').evaluate((s) => s.viewBox.baseVal.width);
  assert.ok(Math.abs(last[0] - (34 + (width - 40) / 3)) < 1, `last point at ${last[0]} of ${width}`);
  const dash = await page.locator('#s2s-accuracy polyline.other-1').evaluate((p) => getComputedStyle(p).strokeDasharray);
  assert.notEqual(dash, 'none');
  assert.match(await page.locator('#s2s-attention-title').innerText(), /^The first held-out pair/);
  // The cursor's line: its own map (3 written tokens over 2 source tokens) and what was written.
  const focus = { line: 11, source: 'ab', target: 'ba', output: 'bb', attention: { source: ['a', 'b'], output: ['b', 'b', '</s>'], weights: [[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]], probs: [0.9, 0.4, 0.99] } };
  await send(page, { type: 'seq2seq', view: { ...view, focus } });
  await page.locator('#s2s-attention[data-rows="3"][data-columns="2"]').waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('#s2s-attention-title').innerText(), 'Line 12 of the file (the cursor\'s): the model writes “bb”, the target is “ba”');
  await assertClean(page, problems);
});
