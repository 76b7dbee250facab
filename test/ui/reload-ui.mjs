#!/usr/bin/env node
// Window reload in the middle of a run, in the real workbench (code-server in Chromium): trains on
// a file until a checkpoint is written, reloads the page (the extension host goes away with the
// run and comes back), then checks that the panel returns with the run marked stopped and
// resumable, and that resuming it continues from its checkpoint. Then it closes the panel and
// reloads again: with no command run, a hover answers and the status bar tells how the last run
// ended (the extension activates after startup, not only with its panel).
//
//   node test/ui/reload-ui.mjs [--verbose]
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  REPO, deadline, launchBrowser, makeScratch, printExtensionHostErrors, requireBuilt, startCodeServer, withTimeout, workbenchUrl,
} from '../vscode/codeServer.mjs';
import { Checklist, finish, panelFrame, quickOpen, reportCrash, runCommand, until, waitForWorkbench } from './checklist.mjs';

const TIME_LIMIT_MS = 4 * 60_000;
const FILE = 'prose.txt';
const CHECKPOINT_SECONDS = 5;
const SETTINGS = {
  'lstmLab.runs.checkpointEverySeconds': CHECKPOINT_SECONDS,
  'lstmLab.train.hiddenSize': 32,
  'lstmLab.train.batchSize': 16,
  'lstmLab.train.sequenceLength': 32,
  'lstmLab.train.maxSeconds': 120,
};

const { values: opts } = parseArgs({ options: { verbose: { type: 'boolean', default: false } } });

const PLANNED = [
  'training runs in the panel',
  'the panel comes back after the reload',
  'the run is marked stopped, resumable from its checkpoint',
  'the loss history comes back',
  'Resume continues from the checkpoint',
  'after a reload with the panel closed, a hover answers without any command',
  'the status bar tells how the last run ended',
];
const list = new Checklist(PLANNED);
const check = (name, fn) => list.check(name, fn);

async function main() {
  const started = Date.now();
  const cancelDeadline = deadline(TIME_LIMIT_MS, 'ui-reload');
  const scratch = makeScratch('ui-reload');
  let server;
  let browser;
  let crashed = null;
  try {
    requireBuilt('dist/extension.js');
    copyFileSync(join(REPO, 'test/fixtures', FILE), join(scratch.workspace, FILE));
    server = await startCodeServer(scratch, { settings: SETTINGS });
    browser = await launchBrowser(scratch);
    const page = await browser.context.newPage();
    if (opts.verbose) page.on('console', (m) => console.log(`  [browser ${m.type()}] ${m.text()}`));
    await page.goto(workbenchUrl(server, scratch.workspace, [['extensionDevelopmentPath', server.remote(REPO)]]), { timeout: 60_000 });
    await scenario(page);
  } catch (err) {
    crashed = err;
    reportCrash('ui-reload', err, server);
  } finally {
    if (crashed || list.anyFailed) printExtensionHostErrors(scratch);
    await browser?.close();
    await server?.stop();
    cancelDeadline();
  }
  finish(list, 'ui-reload', { started, scratch, crashed });
}

async function scenario(page) {
  const chart = () => panelFrame(page).locator('#loss-chart');
  const points = async () => Number(await chart().getAttribute('data-train-points', { timeout: 2_000 }));
  const status = async () => panelFrame(page).locator('#status-line').getAttribute('data-status', { timeout: 2_000 });
  let before = 0;
  const training = await check('training runs in the panel', async () => {
    await waitForWorkbench(page);
    await quickOpen(page, FILE);
    await runCommand(page, 'LSTM Lab: Train LSTM on File');
    await until('training points', points, (n) => n > 0, 120_000);
    // Past the first checkpoint, and the run's record written after it.
    await page.waitForTimeout((2 * CHECKPOINT_SECONDS + 2) * 1000);
    before = await points();
    return `${before} points before the reload`;
  });
  if (!training) return;

  await page.reload({ timeout: 60_000 });
  const back = await check('the panel comes back after the reload', async () => {
    await waitForWorkbench(page);
    const s = await until('the panel status', status, (v) => v && v !== 'waiting', 90_000);
    return `status ${s}`;
  });
  if (!back) return;
  let resumeStep = 0;
  await check('the run is marked stopped, resumable from its checkpoint', async () => {
    // The restored panel first shows the state it kept (running) until the host has read the run
    // store and marked the run stopped, a moment later.
    await until('the run marked stopped', status, (v) => v === 'stopped', 15_000);
    const message = await panelFrame(page).locator('#status-message').innerText({ timeout: 5_000 });
    const m = /interrupted.*Resume continues from step (\d+)/s.exec(message);
    if (!m) throw new Error(`message ${JSON.stringify(message)}`);
    resumeStep = Number(m[1]);
    return message;
  });
  await check('the loss history comes back', async () => {
    const n = await until('restored points', points, (v) => v > 0, 10_000);
    if (n < resumeStep) throw new Error(`${n} points, fewer than the checkpoint's ${resumeStep} steps`);
    return `${n} points`;
  });
  await check('Resume continues from the checkpoint', async () => {
    if (resumeStep <= 0) throw new Error('no checkpoint step to resume from');
    const row = panelFrame(page).locator('#runs-body tr', { hasText: FILE }).first();
    await row.locator('.run-resume').click({ timeout: 10_000 });
    await until('the resumed run training', status, (v) => v === 'running', 60_000);
    const stepText = async () => panelFrame(page).locator('#status-step').innerText({ timeout: 2_000 });
    const text = await until('steps beyond the checkpoint', stepText, (t) => Number(t.replace(/\D/g, '')) > resumeStep + 5, 60_000);
    await runCommand(page, 'LSTM Lab: Stop Training');
    await until('the resumed run stopped', status, (v) => v === 'stopped', 60_000);
    return `${text} after resuming from step ${resumeStep}`;
  });
  const panelTabs = () => page.locator('.tabs-container .tab', { hasText: 'LSTM Lab' }).count();
  await check('after a reload with the panel closed, a hover answers without any command', async () => {
    // Closed as a user would: the close button on the panel's tab.
    const tab = page.locator('.tabs-container .tab', { hasText: 'LSTM Lab' }).first();
    await tab.hover({ timeout: 10_000 });
    await tab.locator('.tab-actions .action-label').first().click({ timeout: 10_000 });
    await until('the panel closed', panelTabs, (n) => n === 0, 10_000);
    // The workbench's own reload writes its state first (a page reload may not keep the closing).
    await runCommand(page, 'Developer: Reload Window');
    await page.waitForTimeout(2_000);
    await waitForWorkbench(page);
    await page.locator(`.tabs-container .tab[aria-label^="${FILE}"]`).first().click({ timeout: 30_000 });
    const lines = page.locator('.editor-instance .monaco-editor .view-line');
    await lines.first().waitFor({ timeout: 30_000 });
    const texts = await lines.allInnerTexts();
    const longest = texts.reduce((best, t, i) => (t.length > texts[best].length ? i : best), 0);
    const box = await lines.nth(longest).boundingBox();
    const hover = page.locator('.monaco-hover-content', { hasText: 'LSTM Lab' }).first();
    // Activation after startup may still be under way when the editor shows: hover until it answers.
    await until('an LSTM Lab hover', async () => {
      await page.mouse.move(box.x + 5, box.y - 40);
      await page.mouse.move(box.x + 40, box.y + box.height / 2, { steps: 4 });
      return hover.waitFor({ timeout: 4_000 }).then(() => true, () => false);
    }, (ok) => ok, 60_000, 100);
    const text = await hover.innerText();
    if (!/Actual next/.test(text)) throw new Error(`hover reads ${JSON.stringify(text.slice(0, 300))}`);
    if ((await panelTabs()) !== 0) throw new Error('the panel came back although it was closed');
    return text.split('\n').find((l) => /Actual next/.test(l));
  });
  await check('the status bar tells how the last run ended', async () => {
    const item = page.locator('.statusbar-item', { hasText: /LSTM (stopped|done)/ }).first();
    await item.waitFor({ timeout: 10_000 });
    return (await item.innerText()).trim();
  });
}

await withTimeout(main(), TIME_LIMIT_MS, 'ui-reload');
