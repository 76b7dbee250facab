#!/usr/bin/env node
// Sequence to sequence in the real workbench (code-server in Chromium), as a user goes: a
// generated sample from the palette, Train Seq2Seq on File, the panel's card with accuracy
// climbing and the attention map drawn, and a hover on a source line that shows its decoding.
//
// Then a source typed into the card, and after a window reload the kept model's hover and
// Continue Training.
//
//   node test/ui/seq2seq-ui.mjs [--verbose]
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  deadline, launchBrowser, makeScratch, printExtensionHostErrors, requireBuilt, startCodeServer, withTimeout, workbenchUrl, REPO,
} from '../vscode/codeServer.mjs';
import { Checklist, finish, panelFrame, quickOpen, reportCrash, runCommand, until, waitForWorkbench } from './checklist.mjs';

const TIME_LIMIT_MS = 7 * 60_000;
const SETTINGS = {
  'lstmLab.seq2seq.maxSeconds': 30,
  'lstmLab.seq2seq.attention': 'dot',
};
const RESULTS = join(REPO, 'test-results');
const PAIRS_FILE = 'reverse.txt';

const { values: opts } = parseArgs({ options: { verbose: { type: 'boolean', default: false } } });

const PLANNED = [
  'New Sequence-to-Sequence Sample… writes the reversal task into an editor',
  'Train Seq2Seq on File trains the task saved as a file: the panel shows accuracy climbing and the attention map',
  'a hover on a source line shows the model\'s decoding',
  'the attention map follows the cursor to its line',
  'the run ends with its held-out accuracy',
  'a source typed into the card is decoded with its attention map',
  'after a window reload the panel shows the finished run again',
  'after the reload a hover on a source line decodes with the kept model',
  'Continue Training trains the kept model on from its step, and Stop ends it',
  'the card\'s run list has both runs, and Show brings back the first',
  'Export Model for PyTorch… writes the continued run\'s model, and numpy alone decodes with it',
];
const list = new Checklist(PLANNED);
const check = (name, fn) => list.check(name, fn);

async function main() {
  const started = Date.now();
  const cancelDeadline = deadline(TIME_LIMIT_MS, 'ui-seq2seq');
  const scratch = makeScratch('ui-seq2seq');
  let server;
  let browser;
  let crashed = null;
  try {
    requireBuilt('dist/extension.js', 'dist/seq2seqWorker.js');
    // A file in the workspace, so that the explorer shows the folder is connected.
    copyFileSync(join(REPO, 'test/fixtures/abc.txt'), join(scratch.workspace, 'abc.txt'));
    // The same task saved in the workspace: a saved file comes back after a reload, an untitled one need not.
    writeFileSync(join(scratch.workspace, PAIRS_FILE), execFileSync(process.execPath, [join(REPO, 'dist/cli.js'), 'seq2seq-sample', 'reverse'], { encoding: 'utf8' }));
    server = await startCodeServer(scratch, { settings: SETTINGS });
    browser = await launchBrowser(scratch);
    const page = await browser.context.newPage();
    if (opts.verbose) page.on('console', (m) => console.log(`  [browser ${m.type()}] ${m.text()}`));
    await page.goto(workbenchUrl(server, scratch.workspace, [['extensionDevelopmentPath', server.remote(REPO)]]), { timeout: 60_000 });
    await scenario(page, scratch);
  } catch (err) {
    crashed = err;
    reportCrash('ui-seq2seq', err, server);
  } finally {
    if (crashed || list.anyFailed) printExtensionHostErrors(scratch);
    await browser?.close();
    await server?.stop();
    cancelDeadline();
  }
  finish(list, 'ui-seq2seq', { started, scratch, crashed });
}

async function scenario(page, scratch) {
  const card = () => panelFrame(page).locator('#s2s-card');
  const lines = page.locator('.editor-instance .monaco-editor .view-line');
  const sample = await check('New Sequence-to-Sequence Sample… writes the reversal task into an editor', async () => {
    await waitForWorkbench(page);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Reverse a string' }).first();
    // Once in CI the task pick never showed; say what the quick input showed instead, and try once more.
    for (let attempt = 1; ; attempt++) {
      await runCommand(page, 'LSTM Lab: New Sequence-to-Sequence Sample', { keepOpen: true });
      const appeared = await row.waitFor({ timeout: 20_000 }).then(() => true, () => false);
      if (appeared) break;
      const widget = page.locator('.quick-input-widget');
      const shown = (await widget.isVisible()) ? `${await widget.locator('.quick-input-title').innerText().catch(() => '')} ${JSON.stringify(await page.locator('.quick-input-list .monaco-list-row').allInnerTexts())}` : 'no quick input';
      if (attempt === 2) throw new Error(`the task pick did not appear twice; the quick input shows: ${shown}`);
      console.log(`  (the task pick did not appear; the quick input shows: ${shown}; running the command again)`);
      await page.keyboard.press('Escape');
    }
    await row.click();
    await until('the sample in an editor', async () => (await lines.allInnerTexts()).filter((t) => /^[a-z]{5,10}\s[a-z]{5,10}$/.test(t.replace(/\u00a0/g, ' '))).length, (n) => n >= 5, 60_000);
    const first = (await lines.first().innerText()).replace(/\u00a0/g, ' ');
    const [src, tgt] = first.split(/\s+/);
    if ([...src].reverse().join('') !== tgt) throw new Error(`the first line is not a reversal: ${JSON.stringify(first)}`);
    return first;
  });
  if (!sample) return;

  const trained = await check('Train Seq2Seq on File trains the task saved as a file: the panel shows accuracy climbing and the attention map', async () => {
    await quickOpen(page, PAIRS_FILE);
    await runCommand(page, 'LSTM Lab: Train Seq2Seq on File');
    await until('the card', () => card().isVisible(), (v) => v, 60_000);
    const points = () => card().locator('#s2s-accuracy').getAttribute('data-points', { timeout: 2_000 }).then(Number);
    await until('two evaluations', points, (n) => n >= 3, 90_000);
    const rows = await until('the attention map', () => card().locator('#s2s-attention').getAttribute('data-rows', { timeout: 2_000 }).then(Number), (n) => n > 0, 30_000);
    await card().locator('#s2s-attention').scrollIntoViewIfNeeded();
    // The map is painted: more than one colour on its canvas.
    const colours = await card().locator('#s2s-attention canvas').evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < d.length; i += 16) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
      return seen.size;
    });
    if (colours < 3) throw new Error(`the attention canvas has ${colours} colours`);
    const status = await card().locator('#s2s-status').innerText();
    await panelShot(page, 'ui-seq2seq-card.png');
    return `${rows} written tokens mapped; ${status}`;
  });
  if (!trained) return;

  await check('a hover on a source line shows the model\'s decoding', async () => {
    const box = await lines.nth(3).boundingBox();
    await page.mouse.move(box.x + 5, box.y - 40);
    await page.mouse.move(box.x + 12, box.y + box.height / 2, { steps: 3 });
    const hover = page.locator('.monaco-hover-content', { hasText: 'LSTM Lab' }).first();
    await hover.waitFor({ timeout: 30_000 });
    const text = await hover.innerText();
    if (!/the model \(step \d+\) writes/.test(text) || !/looked most at/.test(text)) throw new Error(`hover reads ${JSON.stringify(text.slice(0, 300))}`);
    await page.screenshot({ path: join(RESULTS, 'ui-seq2seq-hover.png'), clip: { x: 0, y: 0, width: 900, height: 500 } });
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
    return text.split('\n').slice(0, 3).join(' | ');
  });

  await check('the attention map follows the cursor to its line', async () => {
    await lines.nth(6).click();
    const title = () => card().locator('#s2s-attention-title').innerText({ timeout: 2_000 });
    const text = await until('the map of line 7', title, (t) => /^Line 7 of the file/.test(t), 30_000, 200);
    const rows = Number(await card().locator('#s2s-attention').getAttribute('data-rows'));
    if (!(rows > 0)) throw new Error(`the map has ${rows} rows`);
    return text;
  });

  await check('the run ends with its held-out accuracy', async () => {
    const status = () => card().locator('#s2s-status').innerText({ timeout: 2_000 });
    const done = await until('the run to complete', status, (s) => /: completed/.test(s), 90_000);
    const m = /exact match ([\d.]+)%/.exec(done);
    if (!m || Number(m[1]) < 50) throw new Error(`the run ended with ${JSON.stringify(done)}`);
    return done;
  });

  await check('a source typed into the card is decoded with its attention map', async () => {
    const box = card().locator('#s2s-source input');
    await box.scrollIntoViewIfNeeded();
    await box.fill('qwertyu');
    await box.press('Enter');
    const title = () => card().locator('#s2s-attention-title').innerText({ timeout: 2_000 });
    const text = await until('the typed source\'s map', title, (t) => /^Your source “qwertyu”: the model writes “[^”]+”/.test(t), 30_000, 200);
    const columns = Number(await card().locator('#s2s-attention').getAttribute('data-columns'));
    if (columns !== 7) throw new Error(`the map has ${columns} source columns for 7 letters`);
    await panelShot(page, 'ui-seq2seq-typed.png');
    return text;
  });

  await check('after a window reload the panel shows the finished run again', async () => {
    const before = await card().locator('#s2s-accuracy').getAttribute('data-points');
    await page.reload({ timeout: 60_000 });
    await waitForWorkbench(page);
    const status = await until('the card after the reload', () => card().locator('#s2s-status').innerText({ timeout: 2_000 }), (s) => /: completed/.test(s), 90_000);
    const after = await card().locator('#s2s-accuracy').getAttribute('data-points');
    if (after !== before) throw new Error(`${before} evaluations before the reload, ${after} after`);
    return `${after} evaluations; ${status}`;
  });

  await check('after the reload a hover on a source line decodes with the kept model', async () => {
    await until('the file of pairs back in its editor', async () => (await lines.allInnerTexts()).filter((t) => /^[a-z]{5,10}\s[a-z]{5,10}$/.test(t.replace(/\u00a0/g, ' '))).length, (n) => n >= 5, 60_000);
    const box = await lines.nth(2).boundingBox();
    await page.mouse.move(box.x + 5, box.y - 40);
    await page.mouse.move(box.x + 12, box.y + box.height / 2, { steps: 3 });
    const hover = page.locator('.monaco-hover-content', { hasText: 'LSTM Lab' }).first();
    await hover.waitFor({ timeout: 30_000 });
    const text = await hover.innerText();
    if (!/the model \(step \d+\) writes/.test(text)) throw new Error(`hover reads ${JSON.stringify(text.slice(0, 300))}`);
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
    return text.split('\n').slice(0, 3).join(' | ');
  });

  await check('Continue Training trains the kept model on from its step, and Stop ends it', async () => {
    const stepBefore = Number(/step (\d+)/.exec(await card().locator('#s2s-accuracy-caption').innerText())?.[1]);
    const pointsBefore = Number(await card().locator('#s2s-accuracy').getAttribute('data-points'));
    await card().locator('#s2s-continue').scrollIntoViewIfNeeded();
    await card().locator('#s2s-continue').click();
    const summary = await until('the continued run', () => card().locator('#s2s-config').innerText({ timeout: 2_000 }), (t) => /continued from step \d+/.test(t), 60_000, 200);
    const from = Number(/continued from step (\d+)/.exec(summary)[1]);
    if (from !== stepBefore) throw new Error(`continued from step ${from}; the kept run ended at step ${stepBefore}`);
    const status = () => card().locator('#s2s-status').innerText({ timeout: 2_000 });
    await until('a step past the kept one', status, (s) => Number(/step (\d+)/.exec(s)?.[1]) > from, 60_000, 200);
    await runCommand(page, 'LSTM Lab: Stop Seq2Seq Training');
    const done = await until('the continued run to stop', status, (s) => /: stopped/.test(s), 60_000);
    // Its accuracy curve goes on from the kept run's.
    const points = Number(await card().locator('#s2s-accuracy').getAttribute('data-points'));
    if (!(points > pointsBefore)) throw new Error(`${points} evaluations drawn after continuing, ${pointsBefore} before`);
    await card().locator('#s2s-accuracy').scrollIntoViewIfNeeded();
    await panelShot(page, 'ui-seq2seq-continued.png');
    return `${summary.split(' · ').slice(0, 2).join(' · ')}; ${done}`;
  });

  await check('the card\'s run list has both runs, and Show brings back the first', async () => {
    const rows = card().locator('#s2s-runs tr');
    await until('two runs in the list', () => rows.count(), (n) => n === 2, 30_000);
    const [newest, first] = await rows.allInnerTexts();
    if (!/continued[\s\S]*shown/.test(newest) || !/stopped/.test(newest)) throw new Error(`the newest row reads ${JSON.stringify(newest)}`);
    await rows.nth(1).locator('.s2s-run-show').click();
    const summary = await until('the first run in the card', () => card().locator('#s2s-config').innerText({ timeout: 2_000 }), (t) => !/continued/.test(t), 30_000, 200);
    await until('the first run marked shown', () => rows.nth(1).innerText(), (t) => /shown/.test(t), 10_000, 200);
    return `${first.replace(/\s+/g, ' ').trim()} → ${summary.split(' · ')[0]}`;
  });

  await check('Export Model for PyTorch… writes the continued run\'s model, and numpy alone decodes with it', async () => {
    await runCommand(page, 'LSTM Lab: Export Model for PyTorch…', { keepOpen: true });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'continued' }).first().click({ timeout: 15_000 });
    // The save dialog (the workbench's own, in the browser) offers the workspace and a file name.
    const input = page.locator('.quick-input-widget input');
    const offered = await until('the save dialog', () => input.inputValue({ timeout: 2_000 }), (v) => /reverse-seq2seq\.safetensors$/.test(v), 20_000, 200);
    await input.press('Enter');
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'encoder–decoder' }).first();
    await toast.waitFor({ timeout: 30_000 });
    const message = (await toast.innerText()).replace(/\s+/g, ' ');
    const file = join(scratch.workspace, 'reverse-seq2seq.safetensors');
    if (!existsSync(file)) throw new Error(`no ${file} after "${message}" (the dialog offered ${offered})`);
    const written = execFileSync('python3', [join(REPO, 'scripts/lstm_lab_seq2seq_numpy.py'), file, '--translate', 'qwertyu'], { encoding: 'utf8' }).trim();
    // The engine's decoding with the run's kept model (the newest kept checkpoint) is what numpy must write.
    const kept = readdirSync(scratch.root, { recursive: true }).map(String).filter((f) => /(^|\/)seq2seq\/[^/]+\.ckpt$/.test(f))
      .map((f) => join(scratch.root, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    if (!kept) throw new Error('no kept seq2seq model found under the scratch folder');
    const engine = execFileSync(process.execPath, [join(REPO, 'dist/cli.js'), 'translate', kept], { input: 'qwertyu\n', encoding: 'utf8' }).trim();
    if (written !== engine) throw new Error(`numpy decodes "qwertyu" to ${JSON.stringify(written)} with the export, the engine to ${JSON.stringify(engine)}`);
    return `${message.slice(0, 140)}; qwertyu → numpy ${written}, engine ${engine}`;
  });
}

await withTimeout(main(), TIME_LIMIT_MS, 'ui-seq2seq');

/**
 * The panel as it shows on the screen: the page clipped to the webview's frame (an element
 * screenshot of the card, taller than the frame, would take in what lies around the frame).
 */
async function panelShot(page, name) {
  const box = await page.locator('iframe.webview.ready').last().boundingBox();
  await page.screenshot({ path: join(RESULTS, name), clip: box ?? undefined });
}
