#!/usr/bin/env node
// Hovers and the gates heatmap while a run trains, in the real workbench (code-server in
// Chromium). The run is made slow on purpose (TensorFlow.js kernels, many long streams:
// several seconds a step), so that an answer that waited for the step in flight would take
// seconds; the checks ask for well under one step's time.
//
//   node test/ui/live-ui.mjs [--verbose]
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  REPO, deadline, launchBrowser, makeScratch, printExtensionHostErrors, requireBuilt, startCodeServer, withTimeout, workbenchUrl,
} from '../vscode/codeServer.mjs';
import { Checklist, finish, panelFrame, quickOpen, reportCrash, runCommand, until, waitForWorkbench } from './checklist.mjs';

const TIME_LIMIT_MS = 4 * 60_000;
const FILE = 'prose.txt';
const SETTINGS = {
  'lstmLab.train.kernels': 'tfjs',
  'lstmLab.train.hiddenSize': 320,
  'lstmLab.train.batchSize': 64,
  'lstmLab.train.sequenceLength': 512,
  'lstmLab.train.maxSeconds': 300,
};
/** What an answer may take while a step runs; the step itself must take at least twice as long. */
const BOUND_MS = 2_000;

const { values: opts } = parseArgs({ options: { verbose: { type: 'boolean', default: false } } });

const PLANNED = [
  'a slow run trains in the panel',
  'while it trains, a hover shows the prediction well within one step',
  'while it trains, the gates heatmap follows the cursor well within one step',
  'the run stops',
];
const list = new Checklist(PLANNED);
const check = (name, fn) => list.check(name, fn);

async function main() {
  const started = Date.now();
  const cancelDeadline = deadline(TIME_LIMIT_MS, 'ui-live');
  const scratch = makeScratch('ui-live');
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
    reportCrash('ui-live', err, server);
  } finally {
    if (crashed || list.anyFailed) printExtensionHostErrors(scratch);
    await browser?.close();
    await server?.stop();
    cancelDeadline();
  }
  finish(list, 'ui-live', { started, scratch, crashed });
}

/** A hash of the gate heatmap's pixels, to tell one drawing from another. */
function heatmapHash(page) {
  return panelFrame(page).locator('#gates-heatmap canvas.gate-canvas').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = c.width;
    for (let i = 0; i < d.length; i += 4) h = (h * 31 + d[i] * 7 + d[i + 1] * 3 + d[i + 2]) | 0;
    return h;
  });
}

async function scenario(page) {
  const chart = () => panelFrame(page).locator('#loss-chart');
  const points = async () => Number(await chart().getAttribute('data-train-points', { timeout: 2_000 }));
  const heatmap = () => panelFrame(page).locator('#gates-heatmap');
  const lines = page.locator('.editor-instance .monaco-editor .view-line');
  let stepMs = 0;
  const training = await check('a slow run trains in the panel', async () => {
    await waitForWorkbench(page);
    await quickOpen(page, FILE);
    await runCommand(page, 'LSTM Lab: Train LSTM on File');
    // Two steps, timed: how long one takes here.
    const first = await until('a first step', points, (n) => n >= 1, 150_000, 100);
    const t0 = Date.now();
    await until('a second step', points, (n) => n > first, 60_000, 100);
    stepMs = Date.now() - t0;
    if (stepMs < 2 * BOUND_MS) throw new Error(`a step took ${stepMs} ms, too short for the check to mean anything`);
    return `a step takes ${(stepMs / 1000).toFixed(1)} s`;
  });
  if (!training) return;

  await check('while it trains, a hover shows the prediction well within one step', async () => {
    const texts = await lines.allInnerTexts();
    const longest = texts.reduce((best, t, i) => (t.length > texts[best].length ? i : best), 0);
    const box = await lines.nth(longest).boundingBox();
    await page.mouse.move(box.x + 5, box.y - 40);
    const t0 = Date.now();
    await page.mouse.move(box.x + 60, box.y + box.height / 2, { steps: 3 });
    const hover = page.locator('.monaco-hover-content', { hasText: 'LSTM Lab' }).first();
    await hover.waitFor({ timeout: 30_000 });
    const ms = Date.now() - t0;
    const text = await hover.innerText();
    if (!/Actual next/.test(text)) throw new Error(`hover reads ${JSON.stringify(text.slice(0, 200))}`);
    if (ms > BOUND_MS) throw new Error(`the hover took ${ms} ms (a step takes ${stepMs} ms)`);
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
    return `${ms} ms, while a step takes ${(stepMs / 1000).toFixed(1)} s`;
  });

  await check('while it trains, the gates heatmap follows the cursor well within one step', async () => {
    await lines.nth(2).click();
    await page.keyboard.press('End');
    await until('a trace in the heatmap', async () => Number(await heatmap().getAttribute('data-tokens')), (n) => n > 0, 30_000, 100);
    await heatmap().scrollIntoViewIfNeeded();
    await page.waitForTimeout(800);
    const before = await heatmapHash(page);
    const t0 = Date.now();
    await lines.nth(12).click();
    await page.keyboard.press('End');
    await until('the heatmap redrawn for the new cursor', () => heatmapHash(page), (h) => h !== before, 30_000, 50);
    const ms = Date.now() - t0;
    if (ms > BOUND_MS) throw new Error(`the heatmap took ${ms} ms to follow (a step takes ${stepMs} ms)`);
    return `${ms} ms, while a step takes ${(stepMs / 1000).toFixed(1)} s`;
  });

  await check('the run stops', async () => {
    await runCommand(page, 'LSTM Lab: Stop Training');
    const status = () => panelFrame(page).locator('#status-line').getAttribute('data-status', { timeout: 2_000 });
    return `status ${await until('the run stopped', status, (s) => s === 'stopped', 60_000)}`;
  });
}

await withTimeout(main(), TIME_LIMIT_MS, 'ui-live');
