// The run list and the run configuration form in a real browser: what they show and what they post.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runInfo, snapshot } from './fixtures.mjs';
import { assertClean, nextFrames, send, usePanelBrowser } from './harness.mjs';

const lab = usePanelBrowser();

const posted = (page) => page.evaluate(() => window.__test.posted);
const postedOf = async (page, type) => (await posted(page)).filter((m) => m.type === type);

function summary(runId, cell, status, over = {}) {
  return { run: runInfo({ runId, cell, fileName: 'prose.txt', startedAt: 1_700_000_000_000 + runId.length }), status, message: null, trainLoss: 1.91, bestValLoss: 2.05, steps: 420, hasCheckpoint: true, ...over };
}

const RUNS = [summary('run-c3', 'gru', 'running', { hasCheckpoint: false }), summary('run-b2', 'lstm', 'completed'), summary('run-a1', 'rnn', 'diverged', { trainLoss: null, bestValLoss: null, hasCheckpoint: false })];

test('the run list shows each run; ticking runs posts the selection; resume and delete post the run id', async () => {
  const { page, problems } = await lab.open();
  await send(page, snapshot({ run: runInfo({ runId: 'run-c3', cell: 'gru' }) }), { type: 'runs', runs: RUNS, selected: ['run-b2'] });
  await nextFrames(page);
  const rows = page.locator('#runs-body tr');
  assert.equal(await rows.count(), 3);
  assert.equal(await page.locator('#runs-body').getAttribute('data-selected'), 'run-b2');
  assert.match(await rows.nth(0).innerText(), /gru 1×128[\s\S]*shown[\s\S]*running[\s\S]*420[\s\S]*1\.910[\s\S]*2\.050/);
  assert.match(await rows.nth(2).innerText(), /rnn 1×128[\s\S]*diverged[\s\S]*–/);
  // The training run can be neither resumed nor deleted; the finished LSTM with a checkpoint can be both, but not resumed while another run trains.
  assert.equal(await rows.nth(0).locator('.run-resume, .run-delete').count(), 0);
  assert.equal(await rows.nth(1).locator('.run-resume').getAttribute('disabled'), '');
  assert.equal(await rows.nth(2).locator('.run-resume').count(), 0, 'no checkpoint, no resume');

  await rows.nth(2).locator('input[type=checkbox]').check();
  await rows.nth(1).locator('input[type=checkbox]').uncheck();
  assert.deepEqual(await postedOf(page, 'select'), [{ type: 'select', runIds: ['run-b2', 'run-a1'] }, { type: 'select', runIds: [] }]);

  await send(page, { type: 'status', runId: 'run-c3', status: 'completed', message: null });
  await nextFrames(page);
  await rows.nth(1).locator('.run-resume').click();
  await rows.nth(2).locator('.run-delete').click();
  assert.deepEqual(await postedOf(page, 'resume'), [{ type: 'resume', runId: 'run-b2' }]);
  assert.deepEqual(await postedOf(page, 'deleteRun'), [{ type: 'deleteRun', runId: 'run-a1' }]);
  await assertClean(page, problems);
});

test('a run shows its name and note, Rename… asks the host, and ticked runs\' settings are compared side by side', async () => {
  const { page, problems } = await lab.open();
  const base = { cell: 'lstm', layers: 1, hiddenSize: 128, learningRate: 0.002, seqLength: 64, clipNorm: 1 };
  const runs = [
    summary('run-c3', 'gru', 'completed', { name: 'clipped at 5', note: 'lr 0.002\nfaster at first', config: { ...base, cell: 'gru', clipNorm: 5 } }),
    summary('run-b2', 'lstm', 'completed', { config: base }),
    summary('run-a1', 'rnn', 'completed', { config: { ...base, cell: 'rnn', seqLength: 32 } }),
  ];
  await send(page, snapshot({ run: runInfo({ runId: 'run-c3', cell: 'gru' }) }), { type: 'runs', runs, selected: [] });
  await nextFrames(page);
  const rows = page.locator('#runs-body tr');
  assert.match(await rows.nth(0).locator('.run-name').innerText(), /^clipped at 5$/);
  assert.match(await rows.nth(0).innerText(), /gru 1×128 · prose\.txt[\s\S]*lr 0\.002\s+faster at first/);
  assert.equal(await page.locator('#runs-diff').isHidden(), true, 'nothing ticked, nothing compared');
  await rows.nth(1).locator('.run-edit').click();
  assert.deepEqual(await postedOf(page, 'editRun'), [{ type: 'editRun', runId: 'run-b2' }]);
  assert.match(await rows.nth(0).locator('.run-edit').getAttribute('aria-label'), /clipped at 5/);

  // One ticked: compared with the shown run.
  await send(page, { type: 'runs', runs, selected: ['run-b2'] });
  await nextFrames(page);
  const diff = page.locator('#runs-diff');
  assert.equal(await diff.getAttribute('data-differences'), 'cell,clipNorm');
  assert.deepEqual(await diff.locator('thead th').allInnerTexts(), ['Setting', 'clipped at 5', 'lstm 1×128 · prose.txt']);
  assert.deepEqual(await diff.locator('tr.differs th').allInnerTexts(), ['≠ Cell', '≠ Clip norm']);
  assert.deepEqual(await diff.locator('tr[data-field="clipNorm"] td').allInnerTexts(), ['5', '1']);
  // Two ticked: those two.
  await send(page, { type: 'runs', runs, selected: ['run-b2', 'run-a1'] });
  await nextFrames(page);
  assert.equal(await diff.getAttribute('data-differences'), 'cell,seqLength');
  assert.match(await diff.locator('p').innerText(), /2 settings differ/);
  await assertClean(page, problems);
});

test('the form starts from the snapshot, refuses invalid values with a reason, and trains with what it shows', async () => {
  const { page, problems } = await lab.open();
  const form = { cell: 'gru', layers: 2, hiddenSize: 96, seqLength: 48, batchSize: 16, learningRate: 0.003, optimizer: 'rmsprop', clipNorm: 1, dropout: 0.1, tokens: 'char', seed: 7, maxSeconds: 45 };
  const snap = snapshot({ status: 'completed' });
  snap.state.form = form;
  await send(page, snap);
  await nextFrames(page);
  await page.locator('#config-card summary').click();
  assert.equal(await page.locator('#form-hiddenSize').evaluate((e) => e.value), '96');
  assert.equal(await page.locator('#form-cell').evaluate((e) => e.value), 'gru');

  const hidden = page.locator('#form-hiddenSize');
  await hidden.evaluate((e) => { e.value = ''; });
  await hidden.click();
  await page.keyboard.type('5000');
  await nextFrames(page);
  assert.match(await page.locator('#form-hiddenSize-error').innerText(), /must be from 4 to 1,024/);
  assert.equal(await page.locator('#config-form').getAttribute('data-invalid'), '1');
  assert.equal(await page.locator('#form-train').getAttribute('disabled'), '');
  await page.locator('#form-train').click({ force: true });
  assert.deepEqual(await postedOf(page, 'train'), [], 'an invalid form sends nothing');
  await page.locator('#save-settings').click({ force: true });
  assert.deepEqual(await postedOf(page, 'saveSettings'), [], 'an invalid form is not saved as settings');

  await hidden.evaluate((e) => { e.value = ''; });
  await hidden.click();
  await page.keyboard.type('2.5');
  await nextFrames(page);
  assert.match(await page.locator('#form-hiddenSize-error').innerText(), /whole number/);

  await hidden.evaluate((e) => { e.value = ''; });
  await hidden.click();
  await page.keyboard.type('64');
  await nextFrames(page);
  assert.equal(await page.locator('#config-form').getAttribute('data-invalid'), '0');
  assert.equal(await page.locator('#form-hiddenSize-error').innerText(), '');
  await page.locator('#form-train').click();
  assert.deepEqual(await postedOf(page, 'train'), [{ type: 'train', config: { ...form, hiddenSize: 64 } }]);
  await page.locator('#save-settings').click();
  assert.deepEqual(await postedOf(page, 'saveSettings'), [{ type: 'saveSettings', config: { ...form, hiddenSize: 64 } }]);

  await page.locator('#save-checkpoint').click();
  await page.locator('#load-checkpoint').click();
  assert.equal((await postedOf(page, 'saveCheckpoint')).length, 1);
  assert.equal((await postedOf(page, 'loadCheckpoint')).length, 1);

  // While a run trains, the form cannot start another.
  await send(page, { type: 'status', runId: 'run-1', status: 'running', message: null });
  await nextFrames(page);
  assert.equal(await page.locator('#form-train').getAttribute('disabled'), '');
  await assertClean(page, problems);
});
