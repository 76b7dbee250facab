#!/usr/bin/env node
// A new user's first run, from the packaged extension, in the real workbench (code-server in
// Chromium): the VSIX is built and installed the way a user installs it (no development path),
// the workbench opens on an empty folder, and from there the user only clicks: the Help menu's
// Open Walkthrough…, "Get Started with LSTM Lab", its "Train on the Sample" button; then watches
// the loss chart fill and rests the mouse on a character of the sample for the model's hover.
// The checks count the clicks that took; the goal is four at most.
//
//   node test/ui/firstrun-ui.mjs [--vsix FILE] [--verbose]
//
// Without --vsix, `npm run package` builds one into the scratch folder. Screenshots go to
// test-results/firstrun-*.png.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  REPO, codeServerEntry, deadline, isolatedEnv, launchBrowser, makeScratch, onExit, printExtensionHostErrors, seconds,
  startCodeServer, withTimeout, workbenchUrl,
} from '../vscode/codeServer.mjs';
import { Checklist, finish, panelFrame, reportCrash, until } from './checklist.mjs';

const TIME_LIMIT_MS = 4 * 60_000;
const PACKAGE_TIMEOUT_MS = 120_000;
/** The walkthrough trains with the user's settings: a short run keeps the scenario short. */
const TRAIN_SECONDS = 20;
const SETTINGS = { 'lstmLab.train.maxSeconds': TRAIN_SECONDS };
const MAX_CLICKS = 4;
const RESULTS = join(REPO, 'test-results');
const EXTENSION_ID = 'lstm-lab.lstm-lab';

const { values: opts } = parseArgs({
  options: { vsix: { type: 'string' }, verbose: { type: 'boolean', default: false } },
});

const PLANNED = [
  opts.vsix ? 'the given VSIX exists' : 'npm run package builds the VSIX',
  'code-server installs the VSIX into its extensions folder',
  'the workbench opens an empty folder',
  'Help menu → Open Walkthrough… lists "Get Started with LSTM Lab"',
  'picking it opens the walkthrough at "Train on a sample text"',
  '"Train on the Sample" opens the sample and the panel',
  'the loss chart receives training points',
  'the run completes by itself',
  'resting the mouse on a character shows the hover with "Actual next"',
  `install to hover in ${MAX_CLICKS} clicks or fewer`,
];
const list = new Checklist(PLANNED);
const check = (name, fn) => list.check(name, fn);

/** What the user clicked, in order. */
const clicks = [];
async function click(locator, what) {
  await locator.click({ timeout: 15_000 });
  clicks.push(what);
}

// --- processes -----------------------------------------------------------------------------

/** Runs a command to its end (killed with the scenario); resolves with its output, rejects on failure. */
function run(command, args, { env, cwd = REPO, timeoutMs }) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = () => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } };
    const removeCleanup = onExit(kill);
    const timer = setTimeout(kill, timeoutMs);
    let output = '';
    const keep = (chunk) => {
      output += chunk;
      if (opts.verbose) process.stdout.write(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      removeCleanup();
      if (code === 0) resolveRun(output);
      else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}): ${output.trim().split('\n').slice(-3).join(' / ')}`));
    });
  });
}

async function buildVsix(scratch) {
  if (opts.vsix) {
    const vsix = resolve(opts.vsix);
    if (!existsSync(vsix)) throw new Error(`${vsix} is missing`);
    return vsix;
  }
  // Into the scratch folder rather than the repo root, so a packaging run elsewhere cannot swap it.
  const vsix = join(scratch.root, 'lstm-lab.vsix');
  await run('npm', ['run', 'package', '--', '--out', vsix], { env: process.env, timeoutMs: PACKAGE_TIMEOUT_MS });
  if (!existsSync(vsix)) throw new Error(`npm run package wrote no ${vsix}`);
  return vsix;
}

/** code-server's own installer, into the extensions folder the server then starts with. */
async function installVsix(scratch, vsix) {
  const configFile = join(scratch.config, 'code-server.yaml');
  writeFileSync(configFile, 'auth: none\ncert: false\n');
  const cli = [codeServerEntry(), '--config', configFile, '--user-data-dir', scratch['user-data'], '--extensions-dir', scratch.extensions];
  const env = isolatedEnv(scratch);
  const out = await run(process.execPath, [...cli, '--install-extension', vsix], { env, cwd: scratch.root, timeoutMs: 60_000 });
  if (!/successfully installed/.test(out)) throw new Error(`installer says ${JSON.stringify(out.trim().slice(-200))}`);
  const listed = await run(process.execPath, [...cli, '--list-extensions', '--show-versions'], { env, cwd: scratch.root, timeoutMs: 60_000 });
  const line = listed.split('\n').find((l) => l.startsWith(`${EXTENSION_ID}@`));
  if (!line) throw new Error(`--list-extensions shows ${JSON.stringify(listed.trim())}`);
  const folder = readdirSync(scratch.extensions).find((f) => f.startsWith(`${EXTENSION_ID}-`));
  return `${line.trim()} in extensions/${folder}`;
}

// --- the test ------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const cancelDeadline = deadline(TIME_LIMIT_MS, 'ui-firstrun');
  mkdirSync(RESULTS, { recursive: true });
  const scratch = makeScratch('ui-first');
  let server;
  let browser;
  let crashed = null;
  try {
    let vsix;
    const built = await check(PLANNED[0], async () => {
      const t0 = Date.now();
      vsix = await buildVsix(scratch);
      return opts.vsix ? vsix : `${seconds(Date.now() - t0)}`;
    });
    const installed = built && await check('code-server installs the VSIX into its extensions folder', () => installVsix(scratch, vsix));
    if (installed) {
      const scenarioStarted = Date.now();
      server = await startCodeServer(scratch, { settings: SETTINGS });
      browser = await launchBrowser(scratch);
      const page = await browser.context.newPage();
      if (opts.verbose) page.on('console', (m) => console.log(`  [browser ${m.type()}] ${m.text()}`));
      list.explain = () => withTimeout(visibleErrors(page), 5_000, 'reading error dialogs');
      // No extensionDevelopmentPath: the workbench loads what the extensions folder holds.
      await page.goto(workbenchUrl(server, scratch.workspace), { timeout: 60_000 });
      await scenario(page, scratch);
      console.log(`from code-server's start to the hover: ${seconds(Date.now() - scenarioStarted)}`);
    }
  } catch (err) {
    crashed = err;
    reportCrash('ui-firstrun', err, server);
  } finally {
    if (crashed || list.anyFailed) printExtensionHostErrors(scratch);
    await browser?.close();
    await server?.stop();
    cancelDeadline();
  }
  finish(list, 'ui-firstrun', { started, scratch, crashed });
}

async function scenario(page, scratch) {
  const menuRow = (label) => page.locator('.monaco-menu .action-item', { hasText: label }).first();
  const opened = await check('the workbench opens an empty folder', async () => {
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.pane-header', { hasText: 'workspace' }).first().waitFor({ timeout: 60_000 });
    await page.locator('.menubar .menubar-menu-button').first().waitFor({ timeout: 30_000 });
    const files = readdirSync(scratch.workspace);
    if (files.length) throw new Error(`the folder holds ${files.join(', ')}`);
    await screenshot(page, 'firstrun-1-empty-workbench');
    return 'no files; the extension is the installed VSIX';
  });

  const listed = opened && await check('Help menu → Open Walkthrough… lists "Get Started with LSTM Lab"', async () => {
    await click(page.locator('.menubar .menubar-menu-button[aria-label="Application Menu"]'), 'Application Menu (☰)');
    // Pointing at Help opens its submenu, as in any menu bar.
    await menuRow(/^Help$/).hover();
    await menuRow(/^Open Walkthrough/).waitFor({ timeout: 10_000 });
    await screenshot(page, 'firstrun-2-help-menu');
    await click(menuRow(/^Open Walkthrough/), 'Help ▸ Open Walkthrough…');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get Started with LSTM Lab' }).first();
    // Extension walkthroughs register once the extension host has read the installed extensions.
    await row.waitFor({ timeout: 30_000 });
    await screenshot(page, 'firstrun-3-walkthrough-pick');
    const names = await page.locator('.quick-input-list .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.querySelector('.label-name')?.textContent ?? ''));
    return `${names.length} walkthroughs listed: ${names.map((n) => n.trim()).join('; ')}`;
  });

  const button = page.locator('.getting-started-step.expanded a.monaco-button', { hasText: 'Train on the Sample' });
  const walkthrough = listed && await check('picking it opens the walkthrough at "Train on a sample text"', async () => {
    await click(page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get Started with LSTM Lab' }).first(), 'Get Started with LSTM Lab');
    const step = page.locator('.getting-started-step.expanded .step-title');
    await step.first().waitFor({ timeout: 20_000 });
    const title = (await step.first().innerText()).trim();
    if (title !== 'Train on a sample text') throw new Error(`the open step is ${JSON.stringify(title)}`);
    await button.waitFor({ timeout: 10_000 });
    // The step's text beside it (media/walkthrough/train.md) renders in a webview of its own.
    const media = page.frameLocator('.getting-started-media iframe.webview').frameLocator('#active-frame').getByText('What happens then');
    const mediaShown = await media.waitFor({ timeout: 15_000 }).then(() => true, () => false);
    await screenshot(page, 'firstrun-4-walkthrough');
    const steps = await page.locator('.getting-started-step .step-title').allInnerTexts();
    return `steps: ${steps.map((s) => s.trim()).join(' · ')}${mediaShown ? '' : ' (the step\'s text beside them did not render within 15 s)'}`;
  });

  const chart = panelFrame(page).locator('#loss-chart');
  const status = () => panelFrame(page).locator('#status-line').getAttribute('data-status', { timeout: 2_000 });
  const points = async () => Number(await chart.getAttribute('data-train-points', { timeout: 2_000 }));
  const training = walkthrough && await check('"Train on the Sample" opens the sample and the panel', async () => {
    await click(button, 'Train on the Sample');
    await page.locator('.tabs-container .tab[aria-label^="shakespeare.txt"]').waitFor({ timeout: 30_000 });
    await chart.waitFor({ state: 'attached', timeout: 60_000 });
    const tabs = await page.locator('.tabs-container .tab').allInnerTexts();
    return `tabs: ${tabs.map((t) => t.trim()).join(' | ')}`;
  });
  const hasPoints = training && await check('the loss chart receives training points', async () => {
    const t0 = Date.now();
    const first = await until('training points', points, (n) => n >= 1, 150_000);
    await until('more training points', points, (n) => n > first, 30_000);
    await page.waitForTimeout(500);
    await screenshot(page, 'firstrun-5-training');
    return `first point after ${seconds(Date.now() - t0)}; ${await points()} points`;
  });
  const trained = hasPoints && await check('the run completes by itself', async () => {
    const end = await until('the run\'s end', status, (s) => ['completed', 'stopped', 'diverged', 'failed'].includes(s), (TRAIN_SECONDS + 60) * 1000);
    if (end !== 'completed') throw new Error(`the run ended ${end}`);
    const summary = (await panelFrame(page).locator('#status-line').innerText()).replace(/\s+/g, ' ').trim();
    await page.waitForTimeout(500);
    await screenshot(page, 'firstrun-6-trained');
    return summary.slice(0, 160);
  });

  const hovered = trained && await check('resting the mouse on a character shows the hover with "Actual next"', async () => {
    // The longest line the sample's editor shows (Monaco may order its line elements in any way).
    const lines = page.locator('.editor-instance .monaco-editor .view-line');
    const texts = await lines.allInnerTexts();
    if (!texts.length) throw new Error('no text lines on screen');
    const longest = texts.reduce((best, t, i) => (t.length > texts[best].length ? i : best), 0);
    const box = await lines.nth(longest).boundingBox();
    await page.mouse.move(box.x + 5, box.y - 40);
    await page.mouse.move(box.x + 30, box.y + box.height / 2, { steps: 4 });
    const hover = page.locator('.monaco-hover-content', { hasText: 'LSTM Lab' }).first();
    await hover.waitFor({ timeout: 20_000 });
    const text = await hover.innerText();
    if (!/Actual next/.test(text)) throw new Error(`hover reads ${JSON.stringify(text.slice(0, 300))}`);
    await page.waitForTimeout(300);
    await screenshot(page, 'firstrun-7-hover');
    return `line ${JSON.stringify(texts[longest].slice(0, 30))}…: ${text.split('\n').find((l) => /Actual next/.test(l)).trim()}`;
  });

  if (hovered) {
    await check(`install to hover in ${MAX_CLICKS} clicks or fewer`, () => {
      const said = `${clicks.length} clicks: ${clicks.map((c, i) => `${i + 1}. ${c}`).join('; ')}; then the mouse rests on a character`;
      if (clicks.length > MAX_CLICKS) throw new Error(said);
      return said;
    });
  }
}

/** Text of error dialogs and error notifications on screen (e.g. a failed command). */
async function visibleErrors(page) {
  const texts = await page.locator([
    '.monaco-dialog-box .dialog-message-text',
    '.notification-list-item:has(.codicon-error) .notification-list-item-message',
  ].join(', ')).allInnerTexts();
  return texts.map((t) => t.trim()).filter(Boolean).join(' / ');
}

async function screenshot(page, name) {
  const path = join(RESULTS, `${name}.png`);
  try {
    await page.screenshot({ path, timeout: 15_000 });
    console.log(`  screenshot: ${path}`);
  } catch (err) {
    console.log(`  screenshot ${name} failed: ${err.message}`);
  }
}

main();
