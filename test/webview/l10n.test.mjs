// The panel in the display language: with the Simplified Chinese bundle the host passes, the
// skeleton (translated by the host) and the webview's own texts (translated from the bundle the
// page carries) read as l10n/bundle.l10n.zh-cn.json says; without one, or with a malformed one,
// they are English. Expected texts are read from the bundle, never written here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gradFlowFixture, runInfo, snapshot } from './fixtures.mjs';
import { assertClean, importTs, launchBrowser, nextFrames, openPanel, REPO, send, startPanelServer, waitForPoints } from './harness.mjs';

const ZH = JSON.parse(readFileSync(join(REPO, 'l10n/bundle.l10n.zh-cn.json'), 'utf8'));
/** `message` from `bundle` (English when it has none), its {N} replaced, as l10n.t does. */
const say = (bundle) => (message, ...args) => (bundle?.[message] ?? message).replace(/\{(\d+)\}/g, (m, i) => String(args[Number(i)] ?? m));

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const env = {};
let l10n;

before(async () => {
  l10n = await importTs(['webview/l10n.ts']);
  // The host's vscode.l10n.t, as VS Code configures it for zh-cn: the same bundle.
  const hostZh = await importTs(['webview/l10n.ts']);
  hostZh.configureL10n(ZH);
  env.zh = await startPanelServer({ l10n: { t: hostZh.t }, bundle: ZH, language: 'zh-cn' });
  env.en = await startPanelServer();
  // A bundle with one value that is not a string: the webview must not use any of it.
  env.malformed = await startPanelServer({ bundle: { ...ZH, Training: 42 }, language: 'zh-cn' });
  env.browser = await launchBrowser();
});

after(async () => {
  await env.browser?.close();
  for (const server of [env.zh, env.en, env.malformed]) await server?.close();
});

/** Opens the panel from `server`, draws a run and returns what it shows. */
async function shown(server) {
  const { page, problems } = await openPanel(env.browser.context, server);
  const emptyState = await page.locator('#empty-state').innerText();
  await send(page, snapshot({ gradFlow: gradFlowFixture() }));
  await waitForPoints(page, 300, 15);
  await nextFrames(page);
  const text = (selector) => page.locator(selector).first().innerText();
  const texts = {
    lang: await page.evaluate(() => document.documentElement.lang),
    emptyState,
    lossTitle: await text('#loss-title'),
    trainButton: await text('#train-button'),
    status: await text('#status-state'),
    step: await text('#status-step'),
    speed: await text('#status-speed'),
    gradStep: await text('#grad-step'),
    configTerms: await page.locator('#run-config dt').allInnerTexts(),
    lossLabel: await page.locator('#loss-chart').getAttribute('aria-label'),
    tableToggle: await text('.table-toggle'),
    layerLabel: await page.locator('#gates-layer').getAttribute('aria-label'),
  };
  return { page, problems, texts };
}

/** What the panel should show in the language of `bundle` (English for none). */
function expected(bundle) {
  const t = say(bundle);
  return {
    emptyState: t('Run {0} on an open file to start.', t('LSTM Lab: Train LSTM on File')),
    lossTitle: t('Loss'),
    trainButton: t('Train'),
    status: t('Training'),
    step: t('step {0}', '299'),
    speed: t('{0} chars/s', '25,812'),
    gradStep: t('at step {0}', '590'),
    configTerms: ['cell', 'hidden', 'seq', 'batch', 'lr', 'vocab', 'tokens'].map((term) => t(term)),
    lossLabel: t('Training and validation loss in {0} by step', t('nats')),
    tableToggle: t('Show data as table'),
    layerLabel: t('Layer'),
  };
}

test('with the zh-cn bundle the skeleton and the webview\'s texts are the bundle\'s Chinese', async () => {
  const { page, problems, texts } = await shown(env.zh);
  const { emptyState, ...rest } = expected(ZH);
  assert.equal(texts.lang, 'zh-cn');
  assert.equal(texts.emptyState.replace(/\s+/g, ' ').trim(), emptyState);
  for (const [key, value] of Object.entries(rest)) assert.deepEqual(texts[key], value, key);
  // Not the English: the bundle really translates these.
  assert.notEqual(texts.status, 'Training');
  assert.notEqual(texts.tableToggle, 'Show data as table');
  // The live region speaks the bundle's language too: "<step N>: <values> <nats> (point i of n)".
  await page.locator('#loss-chart').focus();
  await page.keyboard.press('ArrowLeft');
  const step = escape(ZH['step {0}']).replace(escape('{0}'), '\\d+');
  const point = escape(ZH['{0}: {1} {2} (point {3} of {4})']).replace(escape('{0}'), step).replace(escape('{2}'), escape(ZH.nats)).replace(/\\\{\d\\\}/g, '.+');
  assert.match(await page.locator('#live-region').textContent(), new RegExp(`^${point}$`));
  await assertClean(page, problems);
});

test('without a bundle the panel is English', async () => {
  const { page, problems, texts } = await shown(env.en);
  const { emptyState, ...rest } = expected(undefined);
  assert.equal(texts.lang, 'en');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.l10n), undefined);
  assert.equal(texts.emptyState.replace(/\s+/g, ' ').trim(), emptyState);
  for (const [key, value] of Object.entries(rest)) assert.deepEqual(texts[key], value, key);
  await assertClean(page, problems);
});

test('with the zh-cn bundle the run list, the settings comparison and the run configuration form are the bundle\'s Chinese', async () => {
  const { page, problems } = await openPanel(env.browser.context, env.zh);
  const t = say(ZH);
  const config = { cell: 'lstm', layers: 1, hiddenSize: 128, clipNorm: 1 };
  const summary = (runId, cell, status) => ({
    run: runInfo({ runId, cell, fileName: 'prose.txt' }), status, message: null, trainLoss: 1.91, bestValLoss: 2.05, steps: 420, hasCheckpoint: true, config: { ...config, cell },
  });
  const runs = [summary('run-b', 'gru', 'stopped'), summary('run-a', 'lstm', 'completed')];
  const snap = snapshot({ run: runInfo({ runId: 'run-b', cell: 'gru' }), status: 'stopped' });
  snap.state.form = { cell: 'gru', hiddenSize: 96 };
  await send(page, snap, { type: 'runs', runs, selected: ['run-a'] });
  await nextFrames(page);
  const rows = page.locator('#runs-body tr');
  assert.match(await page.locator('#runs-note').innerText(), new RegExp(`^${escape(t('Tick up to {0} runs to draw them over the current run\'s charts; tick one (or two) to compare settings side by side.', '§')).replace('§', '\\d+')}$`));
  assert.match(await rows.nth(0).innerText(), new RegExp(escape(` · ${t('shown')}`)));
  assert.deepEqual(await page.locator('#runs-body .run-status').allInnerTexts(), [t('stopped'), t('completed')]);
  const resume = rows.nth(1).locator('.run-resume');
  assert.equal(await resume.innerText(), t('Resume'));
  assert.equal(await resume.getAttribute('title'), t('Continue training this run from its checkpoint'));
  assert.match(await resume.getAttribute('aria-label'), new RegExp(`^${escape(t('Resume run {0}', '§')).replace('§', '.+')}$`));
  assert.equal(await rows.nth(1).locator('.run-delete').innerText(), t('Delete'));
  assert.equal(await rows.nth(1).locator('.run-edit').innerText(), t('Rename…'));
  const diff = page.locator('#runs-diff');
  assert.equal(await diff.locator('p').innerText(), t('One setting differs (marked ≠).'));
  assert.deepEqual(await diff.locator('tbody th').allInnerTexts(), [`≠ ${t('Cell')}`, t('Layers'), t('Hidden units'), t('Clip norm')]);

  await page.locator('#config-card summary').click();
  assert.equal(await page.locator('label[for="form-hiddenSize"]').innerText(), t('Hidden units'));
  assert.equal(await page.locator('label[for="form-hiddenSize"]').getAttribute('title'), t('Units per layer'));
  assert.equal(await page.locator('#form-cell vscode-option[value="gru"]').textContent(), t('GRU'));
  assert.equal(await page.locator('#form-tokens vscode-option[value="word"]').textContent(), t('words'));
  assert.equal(await page.locator('#form-train').innerText(), t('Train with these settings'));
  assert.equal(await page.locator('#save-settings').getAttribute('title'), t('Write these values to this workspace\'s lstmLab.train.* settings, which the palette\'s Train uses'));
  const hidden = page.locator('#form-hiddenSize');
  await hidden.evaluate((e) => { e.value = ''; });
  await hidden.click();
  await page.keyboard.type('5000');
  await nextFrames(page);
  assert.equal(await page.locator('#form-hiddenSize-error').innerText(), t('must be from {0} to {1}', '4', '1,024'));
  assert.equal(await page.locator('#config-form .form-summary').innerText(), t('1 setting is not valid'));
  await assertClean(page, problems);
});

test('a malformed bundle (a value that is not a string) is ignored: the webview\'s texts stay English', async () => {
  const { page, problems, texts } = await shown(env.malformed);
  assert.ok(await page.evaluate(() => document.documentElement.dataset.l10n), 'the page carries the bundle');
  // The host's skeleton is English here (no l10n passed); the webview refused the bundle.
  const english = expected(undefined);
  for (const key of ['status', 'step', 'speed', 'gradStep', 'configTerms', 'lossLabel', 'tableToggle']) assert.deepEqual(texts[key], english[key], key);
  await assertClean(page, problems);
});

test('validBundle takes an object of strings only, without a prototype to look messages up in', () => {
  const { validBundle } = l10n;
  for (const bad of [null, undefined, 'x', 42, [], ['a'], { a: 1 }, { a: 'x', b: null }, { a: { message: 'x' } }]) {
    assert.equal(validBundle(bad), undefined, JSON.stringify(bad));
  }
  const bundle = validBundle({ Loss: '损失', constructor: '构造' });
  assert.deepEqual({ ...bundle }, { Loss: '损失', constructor: '构造' });
  assert.equal(Object.getPrototypeOf(bundle), null);
  assert.equal(validBundle({}) && Object.keys(validBundle({})).length, 0);
});

test('configureL10n: a bundle translates, undefined or a malformed one is English', () => {
  const { configureL10n, t } = l10n;
  configureL10n(ZH);
  assert.equal(t('step {0}', 7), say(ZH)('step {0}', 7));
  configureL10n({ 'step {0}': 42 });
  assert.equal(t('step {0}', 7), 'step 7');
  configureL10n(ZH);
  configureL10n(undefined);
  assert.equal(t('step {0}', 7), 'step 7');
  assert.equal(t('constructor'), 'constructor');
});

test('the bundle rides in an escaped attribute: the page keeps its one script, and a bad language falls back to en', async () => {
  const { renderPanelHtml } = await importTs(['src/panel/html.ts']);
  const hostile = { 'Loss': '"></html><script>alert(1)</script>&amp;', 'Train': "it's" };
  const html = renderPanelHtml({
    cspSource: 'https://x', nonce: 'abcdef0123456789abcdef0123456789', scriptUri: 'https://x/w.js', styleUris: [], bundle: hostile, language: 'zh-cn" onload="x',
  });
  assert.equal([...html.matchAll(/<script/g)].length, 1);
  const attribute = /<html lang="en" data-l10n="([^"]*)">/.exec(html);
  assert.ok(attribute, 'lang falls back to en; the bundle is one attribute');
  const decoded = attribute[1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  assert.deepEqual(JSON.parse(decoded), hostile);
  assert.doesNotMatch(renderPanelHtml({ cspSource: 'https://x', nonce: 'abcdef0123456789abcdef0123456789', scriptUri: 'https://x/w.js', styleUris: [] }), /data-l10n/);
});
