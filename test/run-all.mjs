#!/usr/bin/env node
// The one test command (`npm test` runs it after building and type-checking): unit tests, the
// webview's browser tests, the integration suite inside a real VS Code, and the end-to-end UI
// test, one after another, with their output streamed. The very last line is the total:
//   tests: N passed, N failed
// A step that crashes, times out or prints no counts adds at least one failure, so a broken
// harness can never read as green.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './vscode/codeServer.mjs';

const MINUTE = 60_000;

// Summary lines: node's spec reporter ("ℹ pass 3" / "ℹ fail 0" / "ℹ cancelled 0") and our own
// runners ("integration: 3 passed, 0 failed").
const NODE_TEST_COUNTS = { pass: /^ℹ pass (\d+)$/m, fail: /^ℹ fail (\d+)$/m, cancelled: /^ℹ cancelled (\d+)$/m };
// The names `node --test DIR` picks up in a folder (helpers next to them are not run).
const NODE_TEST_FILE = /(?:[._-]test|(?:^|[\\/])test(?:-[^\\/]*)?)\.[cm]?js$/;
const RUNNER_COUNTS = /^(?:integration|ui): (\d+) passed, (\d+) failed$/m;

const steps = [
  {
    name: 'unit',
    command: [process.execPath, '--test', '--test-reporter=spec', 'dist/test/unit/'],
    timeoutMs: 10 * MINUTE,
    parse: parseNodeTest,
    skip: () => {
      if (hasFiles('test/unit', /\.test\.ts$/)) return null; // built files must then exist
      return 'no unit tests in test/unit';
    },
  },
  {
    name: 'webview',
    command: [process.execPath, '--test', '--test-reporter=spec', 'test/webview/'],
    timeoutMs: 5 * MINUTE,
    parse: parseNodeTest,
    skip: () => (hasFiles('test/webview', NODE_TEST_FILE) ? null : 'no test files in test/webview'),
  },
  {
    name: 'integration',
    command: [process.execPath, 'test/vscode/run-code-server.mjs'],
    timeoutMs: 9 * MINUTE, // the runner gives itself 8
    parse: parseRunner,
  },
  {
    name: 'ui',
    command: [process.execPath, 'test/ui/run-ui.mjs'],
    timeoutMs: 7 * MINUTE, // the runner gives itself 6
    parse: parseRunner,
  },
  {
    name: 'ui-reload',
    command: [process.execPath, 'test/ui/reload-ui.mjs'],
    timeoutMs: 5 * MINUTE, // the runner gives itself 4
    parse: parseRunner,
  },
  {
    name: 'ui-seq2seq',
    command: [process.execPath, 'test/ui/seq2seq-ui.mjs'],
    timeoutMs: 5 * MINUTE, // the runner gives itself 4
    parse: parseRunner,
  },
  {
    name: 'ui-live',
    command: [process.execPath, 'test/ui/live-ui.mjs'],
    timeoutMs: 5 * MINUTE, // the runner gives itself 4
    parse: parseRunner,
  },
  {
    name: 'ui-firstrun',
    command: [process.execPath, 'test/ui/firstrun-ui.mjs'],
    timeoutMs: 5 * MINUTE, // the runner gives itself 4
    parse: parseRunner,
  },
];

function hasFiles(repoRelative, pattern) {
  const dir = join(REPO, repoRelative);
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true }).some((f) => pattern.test(String(f)));
}

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

function parseNodeTest(output) {
  const text = stripAnsi(output);
  const pass = text.match(NODE_TEST_COUNTS.pass);
  const fail = text.match(NODE_TEST_COUNTS.fail);
  if (!pass || !fail) return null;
  const cancelled = Number(text.match(NODE_TEST_COUNTS.cancelled)?.[1] ?? 0);
  return { passed: Number(pass[1]), failed: Number(fail[1]) + cancelled };
}

function parseRunner(output) {
  // The runner's own last summary line wins over anything a test printed before it.
  const lines = stripAnsi(output).split('\n').filter((l) => RUNNER_COUNTS.test(l));
  const m = lines.at(-1)?.match(RUNNER_COUNTS);
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : null;
}

// --- running a step ------------------------------------------------------------------------

let current = null; // the running child, so a signal can take its process group down too

function runStep(step) {
  return new Promise((resolveStep) => {
    const [cmd, ...args] = step.command;
    const child = spawn(cmd, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    current = child;
    let output = '';
    const collect = (stream, sink) => stream.on('data', (chunk) => {
      sink.write(chunk);
      // Only the tail matters for the counts; keep memory bounded for chatty steps.
      output = (output + chunk.toString()).slice(-200_000);
    });
    collect(child.stdout, process.stdout);
    collect(child.stderr, process.stderr);

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\n${step.name}: no result after ${step.timeoutMs / MINUTE} min, stopping it`);
      killGroup(child, 'SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL'), 5_000).unref();
    }, step.timeoutMs);

    child.on('error', (err) => {
      clearTimeout(timer);
      current = null;
      resolveStep({ code: null, output, error: err, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      current = null;
      killGroup(child, 'SIGKILL'); // anything the step left behind in its group
      resolveStep({ code: code ?? signal, output, timedOut });
    });
  });
}

function killGroup(child, signal) {
  try { process.kill(-child.pid, signal); } catch { /* already gone */ }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (current) killGroup(current, 'SIGTERM');
    process.exit(1);
  });
}

/** Turns a finished step into counts; crashes and silent exits count as failures. */
function tally(step, run) {
  const counts = step.parse(run.output);
  if (run.error) return { passed: counts?.passed ?? 0, failed: 1, note: `could not start: ${run.error.message}` };
  if (run.timedOut) return { passed: counts?.passed ?? 0, failed: Math.max(counts?.failed ?? 0, 1), note: 'timed out' };
  if (!counts) return { passed: 0, failed: 1, note: `exit ${run.code}, no test counts in its output` };
  if (run.code !== 0 && counts.failed === 0) return { ...counts, failed: 1, note: `exit ${run.code} with no failing test` };
  return counts;
}

async function main() {
  const results = [];
  for (const step of steps) {
    const reason = step.skip?.();
    if (reason) {
      console.log(`\n=== ${step.name}: skipped (${reason})`);
      results.push({ name: step.name, passed: 0, failed: 0, note: 'skipped', ms: 0 });
      continue;
    }
    console.log(`\n=== ${step.name}: ${step.command.slice(1).join(' ')}`);
    const started = Date.now();
    const run = await runStep(step);
    results.push({ name: step.name, ...tally(step, run), ms: Date.now() - started });
  }

  console.log('\n=== summary');
  for (const r of results) {
    const time = r.ms ? ` in ${(r.ms / 1000).toFixed(1)} s` : '';
    console.log(`${r.name.padEnd(12)} ${r.passed} passed, ${r.failed} failed${time}${r.note ? ` (${r.note})` : ''}`);
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log(`tests: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
