#!/usr/bin/env node
// End-to-end UI test: drives the real VS Code workbench (code-server in Chromium) the way a user
// would. Opens samples/shakespeare.txt, runs "LSTM Lab: Train LSTM on File" from the command
// palette, watches the loss chart in the panel grow, checks nothing tripped the webview's
// Content Security Policy, then runs "LSTM Lab: Stop Training".
//
//   node test/ui/run-ui.mjs [--extension DIR] [--sample FILE] [--verbose]
//
// --extension / --sample default to this repo and samples/shakespeare.txt; they exist so the test
// itself can be checked against a throwaway extension. Screenshots go to test-results/.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  REPO, deadline, launchBrowser, makeScratch, printExtensionHostErrors, requireBuilt, seconds, startCodeServer,
  withTimeout, workbenchUrl,
} from '../vscode/codeServer.mjs';
import { Checklist, finish, panelFrame, quickOpen, reportCrash, runCommand, waitForWorkbench } from './checklist.mjs';

const TIME_LIMIT_MS = 6 * 60_000;
const FIRST_POINTS_TIMEOUT_MS = 180_000; // cold start: worker spawn, wasm compile, first batches
const GROWTH_WINDOW_MS = 5_000;
const RESULTS = join(REPO, 'test-results');
// What Chromium logs when a Content Security Policy blocks something, plus what the init script
// below logs for `securitypolicyviolation` events.
const CSP_VIOLATION = /Refused to|Content Security Policy|securitypolicyviolation/i;

const { values: opts } = parseArgs({
  options: {
    extension: { type: 'string' },
    sample: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

// --- checks --------------------------------------------------------------------------------

// Every check the scenario makes, in order; one not reached because an earlier one failed
// still counts, as a failure, so the totals do not shrink when things break early.
const PLANNED = [
  'workbench opens the workspace',
  'Quick Open opens the sample text',
  'palette runs "LSTM Lab: Train LSTM on File"',
  'panel shows the loss chart',
  'loss chart receives training points',
  'loss chart keeps growing',
  'loss chart canvas has drawn pixels',
  'palette runs "LSTM Lab: Stop Training"',
  'training stops',
  'gates heatmap follows the cursor in the trained file',
  'switching the gate redraws the heatmap',
  'hovering a character shows what the model expects next',
  'palette "Toggle Surprisal Overlay" paints the visible text; toggling again clears it',
  'palette runs "LSTM Lab: Compare Cell Types on File" for RNN and GRU',
  'run list holds the compared runs and the chart overlays the other one',
  'no Content Security Policy violations',
];
/** Per cell type in the comparison: short, so that the scenario stays within its time limit. */
const COMPARE_SECONDS = 6;
const list = new Checklist(PLANNED);
const record = (name, ok, detail) => list.record(name, ok, detail);
/** Runs one check; a thrown error fails it (with the reason) instead of ending the run. */
const check = (name, fn) => list.check(name, fn);

// --- workbench driving ---------------------------------------------------------------------

/** Text of error dialogs and error notifications currently on screen (e.g. a failed command). */
async function visibleErrors(page) {
  const texts = await page.locator([
    '.monaco-dialog-box .dialog-message-text',
    '.monaco-dialog-box .dialog-message-detail',
    '.notification-list-item:has(.codicon-error) .notification-list-item-message',
  ].join(', ')).allInnerTexts();
  return texts.map((t) => t.trim()).filter(Boolean).join(' / ');
}

/** Waits for `promise`, but gives up as soon as the workbench shows an error dialog. */
async function untilOrError(page, promise) {
  let done = false;
  const watch = (async () => {
    while (!done) {
      await page.waitForTimeout(1_000);
      const errors = done ? '' : await visibleErrors(page).catch(() => '');
      if (errors) throw new Error('error shown while waiting');
    }
  })();
  try {
    return await Promise.race([promise, watch]);
  } finally {
    done = true;
    watch.catch(() => {});
    promise.catch(() => {});
  }
}

async function trainPoints(chart) {
  const value = await chart.getAttribute('data-train-points', { timeout: 5_000 });
  return Number(value ?? NaN);
}

async function waitForTrainPoints(chart, atLeast, timeoutMs) {
  const until = Date.now() + timeoutMs;
  let n = NaN;
  while (Date.now() < until) {
    try { n = await trainPoints(chart); } catch { /* panel still loading */ }
    if (n >= atLeast) return n;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`data-train-points is ${n}, wanted ≥ ${atLeast} within ${timeoutMs / 1000} s`);
}

/**
 * Counts the chart canvas pixels that differ from its most common colour (the background), so
 * an empty or blank chart fails. Runs inside the panel frame.
 */
async function chartInk(chart) {
  return chart.evaluate((el) => {
    const canvases = [...el.querySelectorAll('canvas')];
    if (!canvases.length) throw new Error('no canvas inside #loss-chart');
    let best = { ink: 0, size: '' };
    for (const canvas of canvases) {
      const { width, height } = canvas;
      if (!width || !height) continue;
      const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
      const counts = new Map();
      for (let i = 0; i < data.length; i += 4) {
        const key = (data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3];
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const background = Math.max(...counts.values());
      const ink = width * height - background;
      if (ink > best.ink) best = { ink, size: `${width}×${height}` };
    }
    return best;
  });
}

// --- the test ------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const cancelDeadline = deadline(TIME_LIMIT_MS, 'ui');
  const extensionPath = resolve(opts.extension ?? REPO);
  const sample = resolve(opts.sample ?? join(REPO, 'samples/shakespeare.txt'));
  mkdirSync(RESULTS, { recursive: true });
  const scratch = makeScratch('ui');
  let server;
  let browser;
  let crashed = null;
  const violations = [];
  try {
    if (!opts.extension) requireBuilt('dist/extension.js');
    if (!existsSync(sample)) throw new Error(`sample text ${sample} is missing`);
    const fileName = basename(sample);
    copyFileSync(sample, join(scratch.workspace, fileName));

    server = await startCodeServer(scratch, { settings: { 'lstmLab.compare.secondsPerCell': COMPARE_SECONDS } });
    console.log(`code-server up at ${server.url} in ${seconds(server.startupMs)}`);
    browser = await launchBrowser(scratch);
    const { context } = browser;
    await context.addInitScript(reportCspViolations);
    const page = await context.newPage();
    watchConsole(page, violations);
    list.explain = () => withTimeout(visibleErrors(page), 5_000, 'reading error dialogs');

    const payload = [['extensionDevelopmentPath', server.remote(extensionPath)]];
    const uiStarted = Date.now();
    await runScenario(page, server, scratch.workspace, payload, fileName);
    console.log(`scenario took ${seconds(Date.now() - uiStarted)}`);
    record('no Content Security Policy violations', violations.length === 0,
      violations.length ? `${violations.length}: ${violations[0].slice(0, 300)}` : '');
  } catch (err) {
    crashed = err;
    reportCrash('ui', err, server);
  } finally {
    if (crashed || list.anyFailed) printExtensionHostErrors(scratch);
    await browser?.close();
    await server?.stop();
    cancelDeadline();
  }

  finish(list, 'ui', { started, scratch, crashed });
}

async function runScenario(page, server, workspace, payload, fileName) {
  await page.goto(workbenchUrl(server, workspace, payload), { timeout: 60_000 });
  const opened = await check('workbench opens the workspace', () => waitForWorkbench(page))
    && await check('Quick Open opens the sample text', () => quickOpen(page, fileName));
  const trained = opened && await check('palette runs "LSTM Lab: Train LSTM on File"',
    () => runCommand(page, 'LSTM Lab: Train LSTM on File'));

  const chart = panelFrame(page).locator('#loss-chart');
  let points = NaN;
  const panelUp = trained && await check('panel shows the loss chart',
    () => untilOrError(page, chart.waitFor({ state: 'attached', timeout: 60_000 })));
  const hasPoints = panelUp && await check('loss chart receives training points', async () => {
    const t0 = Date.now();
    points = await waitForTrainPoints(chart, 1, FIRST_POINTS_TIMEOUT_MS);
    return `${points} after ${seconds(Date.now() - t0)}`;
  });
  if (hasPoints) {
    await check('loss chart keeps growing', async () => {
      const before = await trainPoints(chart);
      const after = await waitForTrainPoints(chart, before + 1, GROWTH_WINDOW_MS + 10_000);
      return `${before} → ${after}`;
    });
    await check('loss chart canvas has drawn pixels', async () => {
      await page.waitForTimeout(1_000); // let the chart paint the latest points
      const { ink, size } = await chartInk(chart);
      if (ink < 50) throw new Error(`only ${ink} non-background pixels`);
      return `${ink} non-background pixels on a ${size} canvas`;
    });
  }
  await screenshot(page, 'ui-training');

  if (trained) {
    const stopped = await check('palette runs "LSTM Lab: Stop Training"',
      () => runCommand(page, 'LSTM Lab: Stop Training'));
    if (stopped && hasPoints) {
      await check('training stops', async () => {
        await page.waitForTimeout(3_000); // points already in flight may still land
        const before = await trainPoints(chart);
        await page.waitForTimeout(GROWTH_WINDOW_MS);
        const after = await trainPoints(chart);
        if (after !== before) throw new Error(`still growing after stop: ${before} → ${after}`);
        return `${after} points`;
      });
    }
    await screenshot(page, 'ui-stopped');
    if (stopped && hasPoints) await gatesAndCompare(page);
  }
}

/** A hash of the gate heatmap's pixels, to tell one drawing from another. */
async function heatmapPixels(frame) {
  return frame.locator('#gates-heatmap canvas.gate-canvas').evaluate((c) => {
    const ctx = c.getContext('2d');
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let h = 0;
    for (let i = 0; i < d.length; i += 4) h = (h * 31 + d[i] * 7 + d[i + 1] * 3 + d[i + 2]) | 0;
    return { hash: h, size: `${c.width}×${c.height}` };
  });
}

async function gatesAndCompare(page) {
  const frame = panelFrame(page);
  const heatmap = frame.locator('#gates-heatmap');
  const traced = await check('gates heatmap follows the cursor in the trained file', async () => {
    // A click in the text moves the cursor; the panel traces the text around it.
    await page.locator('.editor-instance .monaco-editor .view-line').nth(3).click();
    await page.keyboard.press('End');
    const end = Date.now() + 30_000;
    for (;;) {
      const tokens = Number(await heatmap.getAttribute('data-tokens'));
      if (tokens > 0) return `${tokens} tokens × ${await heatmap.getAttribute('data-units')} units of ${await heatmap.getAttribute('data-name')}`;
      if (Date.now() > end) throw new Error('no trace reached the heatmap');
      await page.waitForTimeout(250);
    }
  });
  if (traced) {
    await check('switching the gate redraws the heatmap', async () => {
      await heatmap.scrollIntoViewIfNeeded();
      await page.waitForTimeout(500);
      const before = await heatmapPixels(frame);
      const name = await heatmap.getAttribute('data-name');
      const next = name === 'output' ? 'input' : 'output';
      // The select is a web component in a nested frame: pick its option as its own change would.
      await frame.locator('#gates-name').evaluate((el, value) => { el.value = value; el.dispatchEvent(new Event('change', { bubbles: true })); }, next);
      const end = Date.now() + 10_000;
      while ((await heatmap.getAttribute('data-name')) !== next) {
        if (Date.now() > end) throw new Error(`heatmap still shows ${await heatmap.getAttribute('data-name')}`);
        await page.waitForTimeout(100);
      }
      await page.waitForTimeout(300);
      const after = await heatmapPixels(frame);
      if (after.hash === before.hash) throw new Error(`${name} and ${next} drew the same pixels`);
      return `${name} → ${next}, pixels changed on a ${after.size} canvas`;
    });
  }
  await screenshot(page, 'ui-gates');
  await editorFeatures(page);
  const compared = await check('palette runs "LSTM Lab: Compare Cell Types on File" for RNN and GRU', async () => {
    await runCommand(page, 'LSTM Lab: Compare Cell Types on File', { keepOpen: true });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Vanilla RNN' }).waitFor({ timeout: 15_000 });
    // RNN, LSTM and GRU come ticked: untick LSTM, accept.
    // The cells are listed in the order of the cell zoo: RNN, LSTM, …
    const lstm = page.locator('.quick-input-list .monaco-list-row').nth(1);
    const label = await lstm.innerText();
    if (!/^LSTM\b/.test(label.trim())) throw new Error(`second entry is ${JSON.stringify(label)}`);
    await lstm.click();
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
    return 'RNN and GRU';
  });
  if (compared) {
    await check('run list holds the compared runs and the chart overlays the other one', async () => {
      const end = Date.now() + (4 * COMPARE_SECONDS + 90) * 1000;
      for (;;) {
        const rows = await frame.locator('#runs-body tr').allInnerTexts();
        const overlays = Number(await frame.locator('#loss-chart').getAttribute('data-overlays'));
        const done = rows.filter((r) => /^(rnn|gru) /m.test(r.trim()) && /completed/.test(r));
        const shown = await frame.locator('#run-config').innerText();
        if (done.length >= 2 && overlays === 1 && /gru/.test(shown)) {
          const legend = [...new Set(await frame.locator('.overlay-legend li').allInnerTexts())];
          return `${rows.length} runs; GRU shown with ${legend.join(', ')} overlaid`;
        }
        if (Date.now() > end) throw new Error(`runs: ${rows.map((r) => r.replace(/\s+/g, ' ')).join(' | ')}; overlays ${overlays}`);
        await page.waitForTimeout(1_000);
      }
    });
  }
  await screenshot(page, 'ui-compare');
}

/** The editor side of the 1400 × 900 workbench, for pictures of the text itself. */
const EDITOR_CLIP = { x: 340, y: 30, width: 680, height: 420 };

/** Decorations painted over the text lines (Monaco draws background decorations as `ced-…` boxes). */
function overlayBoxes(page) {
  return page.locator('.editor-instance .monaco-editor .view-overlays [class*="ced-"]').count();
}

async function editorFeatures(page) {
  await check('hovering a character shows what the model expects next', async () => {
    await page.keyboard.press('Escape');
    // The longest line on screen (Monaco may order its line elements in any way).
    const lines = page.locator('.editor-instance .monaco-editor .view-line');
    const texts = await lines.allInnerTexts();
    const longest = texts.reduce((best, t, i) => (t.length > texts[best].length ? i : best), 0);
    const box = await lines.nth(longest).boundingBox();
    await page.mouse.move(box.x + 5, box.y - 40);
    await page.mouse.move(box.x + 30, box.y + box.height / 2, { steps: 4 });
    const hover = page.locator('.monaco-hover-content', { hasText: 'LSTM Lab' }).first();
    await hover.waitFor({ timeout: 20_000 });
    const text = await hover.innerText();
    if (!/next character after/.test(text) || !/Actual next/.test(text) || !/Gates here/.test(text)) throw new Error(`hover reads ${JSON.stringify(text.slice(0, 300))}`);
    await page.waitForTimeout(300);
    await screenshot(page, 'ui-hover', EDITOR_CLIP);
    return text.split('\n').find((l) => /Actual next/.test(l));
  });
  await page.mouse.move(5, 5);
  await page.keyboard.press('Escape');
  await check('palette "Toggle Surprisal Overlay" paints the visible text; toggling again clears it', async () => {
    const before = await overlayBoxes(page);
    await runCommand(page, 'LSTM Lab: Toggle Surprisal Overlay');
    const end = Date.now() + 20_000;
    let painted = before;
    while ((painted = await overlayBoxes(page)) < before + 20) {
      if (Date.now() > end) throw new Error(`${painted} decoration boxes (${before} before)`);
      await page.waitForTimeout(250);
    }
    const legend = await page.locator('.statusbar-item', { hasText: 'Surprisal' }).count();
    if (legend === 0) throw new Error('no legend in the status bar');
    await screenshot(page, 'ui-surprisal', EDITOR_CLIP);
    await runCommand(page, 'LSTM Lab: Toggle Surprisal Overlay');
    const cleared = Date.now() + 10_000;
    let after = painted;
    while ((after = await overlayBoxes(page)) > before) {
      if (Date.now() > cleared) throw new Error(`${after} boxes left after toggling off (${before} before)`);
      await page.waitForTimeout(250);
    }
    return `${painted - before} tokens painted, then cleared`;
  });
}

/** Saves a screenshot to test-results/; `clip` keeps part of the page (e.g. the editor alone). */
async function screenshot(page, name, clip) {
  const path = join(RESULTS, `${name}.png`);
  try {
    await page.screenshot({ path, timeout: 15_000, clip });
    console.log(`  screenshot: ${path}`);
  } catch (err) {
    console.log(`  screenshot ${name} failed: ${err.message}`);
  }
}

// --- console and CSP -----------------------------------------------------------------------

/** Collects console output of the page and all its frames; remembers CSP violations. */
function watchConsole(page, violations) {
  page.on('console', (msg) => {
    const text = msg.text();
    if (CSP_VIOLATION.test(text)) {
      violations.push(text);
      console.log(`  [csp] ${text}`);
    } else if (opts.verbose) {
      console.log(`  [browser ${msg.type()}] ${text}`);
    }
  });
  page.on('pageerror', (err) => { if (opts.verbose) console.log(`  [page error] ${err.message}`); });
}

// Runs in every frame before its own scripts (including the webview frames); a blocked resource
// shows up here even where Chromium would not log it to the console.
function reportCspViolations() {
  document.addEventListener('securitypolicyviolation', (e) => {
    console.error(`securitypolicyviolation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} in ${e.documentURI}`);
  });
}

main();
