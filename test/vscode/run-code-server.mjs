#!/usr/bin/env node
// Runs the mocha integration suite (dist/test/integration/index.js) inside a real VS Code
// extension host: code-server serves VS Code 1.100.3, Chromium opens the workbench with the
// extension-development and extension-tests payload, and the workbench reports mocha's result
// through window.codeAutomationExit. No VS Code download needed.
//
//   node test/vscode/run-code-server.mjs [--extension DIR] [--tests FILE] [--verbose]
//
// --extension / --tests default to this repo and its built suite; they exist so the harness
// itself can be checked against a throwaway extension. --verbose also echoes workbench noise.
import { format, parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  REPO, copyIntoWorkspace, deadline, launchBrowser, makeScratch, printExtensionHostErrors, requireBuilt, seconds,
  startCodeServer, withTimeout, workbenchUrl,
} from './codeServer.mjs';

const TIME_LIMIT_MS = 8 * 60_000;
const SUITE_TIMEOUT_MS = 7 * 60_000;
const START_TAG = 'integration-start';
const RESULT_TAG = 'integration-result';

const { values: opts } = parseArgs({
  options: {
    extension: { type: 'string' },
    tests: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

async function main() {
  const started = Date.now();
  const cancelDeadline = deadline(TIME_LIMIT_MS, 'integration');
  const extensionPath = resolve(opts.extension ?? REPO);
  const testsPath = resolve(opts.tests ?? `${REPO}/dist/test/integration/index.js`);
  const scratch = makeScratch('integration');
  let server;
  let browser;
  let result = { passes: 0, failures: 0, crashed: null };
  try {
    if (!opts.extension) requireBuilt('dist/extension.js');
    if (!opts.tests) requireBuilt('dist/test/integration/index.js');
    const workspace = copyIntoWorkspace(scratch, 'test/fixtures');
    server = await startCodeServer(scratch);
    console.log(`code-server up at ${server.url} in ${seconds(server.startupMs)}`);
    browser = await launchBrowser(scratch);
    const suiteStarted = Date.now();
    result = await runSuite(browser.context, server, workspace, extensionPath, testsPath);
    console.log(`suite finished in ${seconds(Date.now() - suiteStarted)} (exit code ${result.exitCode})`);
  } catch (err) {
    result.crashed = err;
    console.error(`integration: harness error: ${err.stack ?? err}`);
    if (server) console.error(`--- code-server log tail (${server.logFile}) ---\n${server.tail()}`);
  } finally {
    if (result.crashed || result.exitCode !== 0) printExtensionHostErrors(scratch);
    await browser?.close();
    await server?.stop();
    cancelDeadline();
  }

  const ok = !result.crashed && result.exitCode === 0 && result.failures === 0 && result.passes > 0;
  // A crashed or silent run still counts as a failure, so the summary never reads as green.
  const failed = ok ? result.failures : Math.max(result.failures, 1);
  scratch.dispose(ok);
  console.log(`integration took ${seconds(Date.now() - started)}`);
  console.log(`integration: ${result.passes} passed, ${failed} failed`);
  process.exit(ok ? 0 : 1);
}

async function runSuite(context, server, workspace, extensionPath, testsPath) {
  const page = await context.newPage();
  let resolveExit;
  const exited = new Promise((r) => { resolveExit = r; });
  await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
  // With extension tests in the payload, the workbench also hands every line of its log, which
  // includes the extension host's console output (mocha's report), to codeAutomationLog.
  const output = new SuiteOutput();
  await page.exposeFunction('codeAutomationLog', (level, args) => output.line(level, args));
  if (opts.verbose) {
    page.on('console', (msg) => console.log(`[browser ${msg.type()}] ${msg.text()}`));
    page.on('pageerror', (err) => console.log(`[browser page error] ${err.message}`));
  }

  const payload = [
    ['extensionDevelopmentPath', server.remote(extensionPath)],
    ['extensionTestsPath', server.remote(testsPath)],
  ];
  await page.goto(workbenchUrl(server, workspace, payload), { timeout: 60_000 });
  let exitCode;
  try {
    exitCode = await withTimeout(exited, SUITE_TIMEOUT_MS, 'waiting for the extension tests to finish');
  } finally {
    // What the window showed at the end (a leftover modal dialog explains many failures).
    if (exitCode !== 0) await screenshot(page, 'integration-failure');
  }
  if (!output.result) {
    console.log(`no "${RESULT_TAG}" line in the extension host output; recent workbench log:`);
    for (const l of output.recent) console.log(`  ${l}`);
  }
  return { exitCode, passes: output.result?.passes ?? 0, failures: output.result?.failures ?? 0, crashed: null };
}

async function screenshot(page, name) {
  const path = join(REPO, 'test-results', `${name}.png`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    await page.screenshot({ path, timeout: 15_000 });
    console.log(`screenshot: ${path}`);
  } catch (err) {
    console.log(`screenshot ${name} failed: ${err.message}`);
  }
}

/**
 * Separates the suite's report from the workbench's own log: lines between the suite's start
 * marker and its result line are the suite's (printed as they come); everything else is only
 * printed with --verbose, except errors, which usually explain a failing run.
 */
class SuiteOutput {
  inSuite = false;
  result = null;
  recent = [];

  line(level, args) {
    const text = Array.isArray(args) ? format(...args) : String(args);
    this.recent = [...this.recent, `[${level}] ${text}`].slice(-30);
    if (text.startsWith(START_TAG)) {
      this.inSuite = true;
      return;
    }
    const result = text.match(new RegExp(`^${RESULT_TAG} (\\{.*\\})`));
    if (result) {
      this.result = JSON.parse(result[1]);
      this.inSuite = false;
      return;
    }
    if (this.inSuite) console.log(level === 'error' ? `[error] ${text}` : text);
    else if (opts.verbose || level === 'error') console.log(`[workbench ${level}] ${text}`);
  }
}

main();
