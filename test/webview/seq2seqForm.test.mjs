// The sequence-to-sequence form and the card's controls in a real browser: the form starts from the
// host's values, checks them as the host does and posts only valid ones; a typed source, Continue,
// Save and Load post what the host acts on, and only when the shown run has a kept model; the
// card's run list ticks runs to draw beside the shown one, shows and deletes them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { snapshot } from './fixtures.mjs';
import { assertClean, nextFrames, RESULTS, send, usePanelBrowser } from './harness.mjs';

const lab = usePanelBrowser();

const postedOf = async (page, type) => (await page.evaluate(() => window.__test.posted)).filter((m) => m.type === type);
const FORM = { cell: 'gru', layers: 2, hidden: 64, attention: 'additive', bidirectional: true, tokens: 'char', beam: 3, maxSeconds: 45 };

function view(over = {}) {
  return {
    runId: 's2s-1', fileName: 'reverse.txt', status: 'completed', message: null, summary: 'lstm 1×128, attention dot, char tokens, 60 s',
    step: 900, tokensPerSec: 0, evals: [{ step: 900, seconds: 60, loss: 0.1, tokenAccuracy: 0.99, exactMatch: 0.97 }], examples: [],
    attention: null, sourceGradNorms: [], compare: [], focus: null, hasModel: true, runs: [], ...over,
  };
}

const setValue = (page, id, value) => page.locator(`#${id}`).evaluate((e, v) => { e.value = v; e.dispatchEvent(new Event('input')); }, value);

for (const theme of ['light', 'dark', 'hc']) {
  test(`seq2seq form in the ${theme} theme: starts from the host's values, Train and Compare post them, a bad value blocks both`, async () => {
    const { page, problems } = await lab.open({ theme });
    await send(page, snapshot(), { type: 'seq2seqForm', form: FORM });
    await page.locator('#s2s-form-card > summary').click();
    await nextFrames(page);
    for (const [field, value] of Object.entries(FORM)) {
      const shown = await page.locator(`#s2s-form-${field}`).evaluate((e, f) => (f === 'bidirectional' ? e.checked : e.value), field);
      assert.equal(String(shown), String(value), field);
    }
    assert.equal(await page.locator('#s2s-form-cell vscode-option[value="gru"]').textContent(), 'GRU');
    await page.locator('#s2s-form-train').click();
    assert.deepEqual(await postedOf(page, 's2sTrain'), [{ type: 's2sTrain', form: FORM }]);

    // 12 units is not a multiple of 8: both buttons go off and the field says why.
    await setValue(page, 's2s-form-hidden', '12');
    assert.equal(await page.locator('#s2s-form-hidden').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#s2s-form .form-summary').innerText(), 'Hidden units: a multiple of 8 from 8 to 512');
    assert.equal(await page.locator('#s2s-form-train').getAttribute('disabled'), '');
    await page.locator('#s2s-form-train').click({ force: true });
    await page.locator('#s2s-form-compare').click({ force: true });
    assert.equal((await postedOf(page, 's2sTrain')).length, 1, 'an invalid form is not sent');
    assert.equal((await postedOf(page, 's2sCompare')).length, 0);

    await setValue(page, 's2s-form-hidden', '96');
    await setValue(page, 's2s-form-maxSeconds', '99999');
    assert.match(await page.locator('#s2s-form .form-summary').innerText(), /^Seconds: a whole number from 5 to 7200$/);
    await setValue(page, 's2s-form-maxSeconds', '30');
    assert.equal(await page.locator('#s2s-form').getAttribute('data-invalid'), '0');
    await page.locator('#s2s-form-compare').click();
    assert.equal((await postedOf(page, 's2sCompare')).length, 1);
    await page.locator('#s2s-form-train').click();
    assert.deepEqual((await postedOf(page, 's2sTrain'))[1].form, { ...FORM, hidden: 96, maxSeconds: 30 });

    // While a run trains the form's buttons are off.
    await send(page, { type: 'seq2seq', view: view({ status: 'running', hasModel: false }) });
    await nextFrames(page);
    assert.equal(await page.locator('#s2s-form-train').getAttribute('disabled'), '');
    assert.equal(await page.locator('#s2s-form-compare').getAttribute('disabled'), '');
    await page.locator('#s2s-form-card').screenshot({ path: join(RESULTS, `seq2seq-form-${theme}.png`) });
    await assertClean(page, problems);
  });
}

test('seq2seq card: a typed source is posted on Enter and its decoding shown; Continue, Save and Load need a kept model', async () => {
  const { page, problems } = await lab.open({ theme: 'dark' });
  await send(page, snapshot(), { type: 'seq2seq', view: view({ hasModel: false }) });
  await page.locator('#s2s-card').waitFor({ state: 'visible', timeout: 5_000 });
  // A finished run without a kept model: nothing to decode, continue or save; Load is there.
  for (const id of ['s2s-continue', 's2s-save', 's2s-decode']) assert.equal(await page.locator(`#${id}`).getAttribute('disabled'), '', id);
  assert.equal(await page.locator('#s2s-load').getAttribute('disabled'), null);
  await page.locator('#s2s-continue').click({ force: true });
  await page.locator('#s2s-save').click({ force: true });
  await page.locator('#s2s-source input').fill('abc');
  await page.locator('#s2s-source input').press('Enter');
  assert.equal((await postedOf(page, 's2sContinue')).length + (await postedOf(page, 's2sSave')).length + (await postedOf(page, 's2sDecode')).length, 0);

  await send(page, { type: 'seq2seq', view: view() });
  await nextFrames(page);
  await page.locator('#s2s-source input').fill('stressed\tx');
  await page.locator('#s2s-source input').press('Enter');
  await page.locator('#s2s-decode').click();
  assert.deepEqual(await postedOf(page, 's2sDecode'), [{ type: 's2sDecode', source: 'stressed x' }, { type: 's2sDecode', source: 'stressed x' }]);
  await page.locator('#s2s-continue').click();
  await page.locator('#s2s-save').click();
  await page.locator('#s2s-load').click();
  assert.equal((await postedOf(page, 's2sContinue')).length, 1);
  assert.equal((await postedOf(page, 's2sSave')).length, 1);
  assert.equal((await postedOf(page, 'loadCheckpoint')).length, 1);

  // The host's answer: the typed source's own map and what the model wrote.
  const focus = { line: null, source: 'ab', target: null, output: 'ba', attention: { source: ['a', 'b'], output: ['b', 'a', '</s>'], weights: [[0.1, 0.9], [0.8, 0.2], [0.5, 0.5]], probs: [0.9, 0.8, 0.99] } };
  await send(page, { type: 'seq2seq', view: view({ focus, summary: 'lstm 1×128, attention dot, char tokens, 60 s' }) });
  await page.locator('#s2s-attention[data-rows="3"][data-columns="2"]').waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('#s2s-attention-title').innerText(), 'Your source “ab”: the model writes “ba”');
  // While a run trains, its model decodes between steps; the kept-model buttons wait for the end.
  await send(page, { type: 'seq2seq', view: view({ status: 'running', hasModel: false }) });
  await nextFrames(page);
  assert.equal(await page.locator('#s2s-decode').getAttribute('disabled'), null);
  assert.equal(await page.locator('#s2s-load').getAttribute('disabled'), '');
  await assertClean(page, problems);
});

const row = (runId, over = {}) => ({
  runId, label: `lstm 1×128, attention ${runId.endsWith('n') ? 'none' : 'dot'}`, fileName: 'reverse.txt', status: 'completed', step: 900,
  exactMatch: 0.9, seconds: 60, hasModel: true, shown: false, compared: false, ...over,
});

test('seq2seq run list: each kept run with its result; ticks, Show and Delete post run ids; the shown and the training run are protected', async () => {
  const { page, problems } = await lab.open({ theme: 'light' });
  const runs = [row('s2s-d', { shown: true, exactMatch: 0.99 }), row('s2s-cn', { compared: true }), row('s2s-b', { exactMatch: null, seconds: null, hasModel: false, status: 'failed' }), row('s2s-a')];
  await send(page, snapshot(), { type: 'seq2seq', view: view({ runId: 's2s-d', runs }) });
  await page.locator('#s2s-runs[data-runs="4"]').waitFor({ timeout: 5_000 });
  const rows = page.locator('#s2s-runs tr');
  assert.match(await rows.nth(0).innerText(), /attention dot · reverse\.txt · shown[\s\S]*completed[\s\S]*900[\s\S]*99\.0% after 60 s/);
  assert.match(await rows.nth(2).innerText(), /failed[\s\S]*–/);
  const ticks = page.locator('#s2s-runs input[type=checkbox]');
  assert.deepEqual(await ticks.evaluateAll((cs) => cs.map((c) => [c.checked, c.disabled])), [[false, true], [true, false], [false, true], [false, false]],
    'the shown run and a run without an evaluation cannot be drawn beside it');
  assert.equal(await ticks.nth(3).getAttribute('aria-label'), 'Draw lstm 1×128, attention dot beside the shown run');
  await ticks.nth(3).check();
  await ticks.nth(1).uncheck();
  assert.deepEqual(await postedOf(page, 's2sSelect'), [{ type: 's2sSelect', runIds: ['s2s-cn', 's2s-a'] }, { type: 's2sSelect', runIds: ['s2s-a'] }]);

  // Show is off for the shown run and for a run with neither model nor curve.
  const show = page.locator('#s2s-runs .s2s-run-show');
  assert.deepEqual(await show.evaluateAll((bs) => bs.map((b) => b.hasAttribute('disabled'))), [true, false, true, false]);
  await show.nth(3).click();
  await page.locator('#s2s-runs .s2s-run-delete').nth(1).click();
  assert.deepEqual(await postedOf(page, 's2sShow'), [{ type: 's2sShow', runId: 's2s-a' }]);
  assert.deepEqual(await postedOf(page, 's2sDelete'), [{ type: 's2sDelete', runId: 's2s-cn' }]);

  // While the shown run trains: no Show anywhere, and it cannot be deleted.
  await send(page, { type: 'seq2seq', view: view({ runId: 's2s-d', status: 'running', hasModel: false, runs }) });
  await nextFrames(page);
  assert.deepEqual(await show.evaluateAll((bs) => bs.map((b) => b.hasAttribute('disabled'))), [true, true, true, true]);
  assert.equal(await page.locator('#s2s-runs .s2s-run-delete').first().getAttribute('disabled'), '');
  // Three ticked: the others cannot be ticked until one is unticked.
  const full = [row('s2s-e', { shown: true }), row('s2s-d', { compared: true }), row('s2s-cn', { compared: true }), row('s2s-b', { compared: true }), row('s2s-a')];
  await send(page, { type: 'seq2seq', view: view({ runId: 's2s-e', runs: full }) });
  await page.locator('#s2s-runs[data-runs="5"]').waitFor({ timeout: 5_000 });
  assert.equal(await ticks.nth(4).isDisabled(), true);
  await page.locator('#s2s-card').screenshot({ path: join(RESULTS, 'seq2seq-runs-light.png') });
  // The buttons sit in the middle of their row, as the other cells do.
  const middle = (box) => box.y + box.height / 2;
  const first = rows.first();
  assert.ok(Math.abs(middle(await first.locator('.run-actions').boundingBox()) - middle(await first.boundingBox())) <= 2, `Show and Delete are centred in the row (${JSON.stringify(await first.locator('.run-actions').boundingBox())} in ${JSON.stringify(await first.boundingBox())})`);

  // In a narrow panel the header row goes: a run's name takes the row's width, and below it come its
  // status, its numbers (each with its label) and its buttons.
  await page.setViewportSize({ width: 400, height: 760 });
  await nextFrames(page);
  const cells = first.locator('td');
  const [tick, name, status, steps, exact, actions] = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => cells.nth(i).boundingBox()));
  assert.ok(status.y >= name.y + name.height - 1, `status (y ${status.y}) below the name (y ${name.y}, height ${name.height})`);
  assert.ok(name.width > 0.7 * (await first.boundingBox()).width, `the name takes the row's width (${name.width.toFixed(0)} px)`);
  assert.ok(name.height < 3 * 22, `the name wraps over at most two lines (${name.height.toFixed(0)} px)`);
  assert.ok(Math.abs(middle(steps) - middle(status)) <= 3, 'status and steps share the line below the name');
  assert.ok(exact.y >= status.y && actions.y >= exact.y - 3, 'then the exact match and the buttons');
  const table = await page.locator('.s2s-runs').boundingBox();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 400), 'the panel does not scroll sideways');
  for (const box of [tick, name, status, steps, exact, actions]) assert.ok(box.x >= table.x && box.x + box.width <= table.x + table.width + 0.5, `a cell leaves the table (${JSON.stringify(box)} in ${JSON.stringify(table)})`);
  assert.ok(table.x + table.width - (actions.x + actions.width) <= 8, 'the buttons keep to the right edge');
  const label = (i) => cells.nth(i).evaluate((td) => getComputedStyle(td, '::before').content);
  assert.deepEqual([await label(3), await label(4)], ['"Steps "', '"Exact match "']);
  await page.locator('#s2s-card').screenshot({ path: join(RESULTS, 'seq2seq-runs-narrow-light.png') });
  await assertClean(page, problems);
});
