#!/usr/bin/env node
// Soak: trains on the bundled sample for N minutes in a real VS Code (code-server in Chromium)
// with the panel open, and samples memory every interval — the extension host's heap and its
// process RSS (the engine worker is a thread of that process, so its tfjs and wasm memory are in
// that RSS), the engine's live tfjs tensors when the extension reports them — plus hover latency
// and the extension host's event-loop delay. Flat series mean nothing leaks. A script, not a test:
// it prints the series as a table and writes them as JSON to bench/results/.
//
//   node bench/soak.mjs [--minutes 30] [--interval 60] [--out FILE] [--profile FILE.cpuprofile] [--panel open|closed] [--verbose]
//
// --profile writes a CPU profile of the extension host's thread, 20 s from 10 s into training.
// --panel closed closes the panel once training starts: what the open panel costs the host.
//
// Needs a build (node esbuild.mjs), code-server and Chromium as for test/vscode/run-code-server.mjs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { format, parseArgs } from 'node:util';
import {
  REPO, deadline, launchBrowser, makeScratch, printExtensionHostErrors, requireBuilt, seconds, startCodeServer,
  withTimeout, workbenchUrl,
} from '../test/vscode/codeServer.mjs';

const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    interval: { type: 'string', default: '60' },
    out: { type: 'string' },
    profile: { type: 'string' },
    panel: { type: 'string', default: 'open' },
    verbose: { type: 'boolean', default: false },
  },
});
const minutes = Number(opts.minutes);
const interval = Number(opts.interval);
if (!(minutes > 0) || !(interval >= 5) || !['open', 'closed'].includes(opts.panel)) {
  console.error('usage: node bench/soak.mjs [--minutes N > 0] [--interval SECONDS ≥ 5] [--panel open|closed] [--out FILE]');
  process.exit(2);
}
const out = opts.out ?? join(REPO, 'bench/results', `soak-${minutes}min-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);

async function main() {
  requireBuilt('dist/extension.js', 'dist/worker.js', 'dist/webview.js');
  const startedAt = new Date().toISOString();
  const cancelDeadline = deadline((minutes + 6) * 60_000, 'soak');
  const scratch = makeScratch('soak');
  let server;
  let browser;
  const samples = [];
  let start = null;
  let done = null;
  let failure = null;
  try {
    process.env.SOAK_MINUTES = String(minutes);
    process.env.SOAK_INTERVAL_SECONDS = String(interval);
    if (opts.profile) process.env.SOAK_PROFILE = opts.profile;
    process.env.SOAK_PANEL = opts.panel;
    server = await startCodeServer(scratch); // inherits SOAK_* through its environment
    console.log(`code-server up at ${server.url} in ${seconds(server.startupMs)}; soaking for ${minutes} min, a sample every ${interval} s`);
    browser = await launchBrowser(scratch);
    const page = await browser.context.newPage();
    let resolveExit;
    const exited = new Promise((r) => { resolveExit = r; });
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
    await page.exposeFunction('codeAutomationLog', (level, args) => {
      const text = Array.isArray(args) ? format(...args) : String(args);
      const m = text.match(/^(soak-sample|soak-start|soak-done|soak-profile) (\{.*\})$/);
      if (m) {
        const value = JSON.parse(m[2]);
        if (m[1] === 'soak-sample') { samples.push(value); printRow(value, samples.length === 1); }
        else if (m[1] === 'soak-profile') console.log(`CPU profile of the extension host: ${value.file}`);
        else if (m[1] === 'soak-start') { start = value; console.log(`training run ${value.runId} on ${value.uri} (extension host pid ${value.pid})`); }
        else done = value;
      } else if (opts.verbose || level === 'error') {
        console.log(`[workbench ${level}] ${text}`);
      }
    });
    const payload = [
      ['extensionDevelopmentPath', server.remote(REPO)],
      ['extensionTestsPath', server.remote(join(REPO, 'bench/soakHost.cjs'))],
    ];
    await page.goto(workbenchUrl(server, scratch.workspace, payload), { timeout: 60_000 });
    const code = await withTimeout(exited, (minutes + 5) * 60_000, 'waiting for the soak to finish');
    if (code !== 0) failure = `the soak ended with exit code ${code}`;
    await page.screenshot({ path: join(REPO, 'test-results', 'soak-end.png') }).catch(() => {});
  } catch (err) {
    failure = String(err?.stack ?? err);
  } finally {
    if (failure) printExtensionHostErrors(scratch);
    await browser?.close();
    await server?.stop();
    cancelDeadline();
  }

  const result = { minutes, intervalSeconds: interval, startedAt, run: start, done, failure, samples, summary: summarise(samples, done) };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log('');
  for (const [k, v] of Object.entries(result.summary)) console.log(`${k}: ${v}`);
  console.log(`series written to ${relative(REPO, out)}`);
  scratch.dispose(!failure);
  if (failure) console.error(`soak failed: ${failure}`);
  process.exit(failure ? 1 : 0);
}

const COLUMNS = [
  ['min', 5, (s) => s.minute.toFixed(1)],
  ['step', 7, (s) => String(s.step)],
  ['loss', 6, (s) => (s.loss === null ? '—' : s.loss.toFixed(3))],
  ['host heap MB', 13, (s) => s.hostHeapUsedMB.toFixed(1)],
  ['host RSS MB', 12, (s) => s.hostRssMB.toFixed(0)],
  ['external MB', 12, (s) => s.hostExternalMB.toFixed(1)],
  ['tensors', 8, (s) => (s.worker && typeof s.worker.numTensors === 'number' ? String(s.worker.numTensors) : 'n/a')],
  ['worker heap MB', 15, (s) => (s.worker && typeof s.worker.heapUsed === 'number' ? (s.worker.heapUsed / 1024 / 1024).toFixed(1) : 'n/a')],
  ['loop p99 ms', 12, (s) => (s.loopP99Ms === null ? '—' : s.loopP99Ms.toFixed(1))],
  ['hover ms', 9, (s) => (s.hoverMs === null ? '—' : s.hoverMs.toFixed(0))],
  ['again ms', 9, (s) => (s.hoverAgainMs == null ? '—' : s.hoverAgainMs.toFixed(0))],
  ['engine rtt ms', 14, (s) => (s.engineRoundTripMs == null ? '—' : s.engineRoundTripMs.toFixed(1))],
  ['panel', 6, (s) => (s.panelOpen ? 'open' : 'closed')],
];

function printRow(s, header) {
  if (header) console.log(COLUMNS.map(([name, w]) => name.padStart(w)).join(' '));
  console.log(COLUMNS.map(([, w, f]) => f(s).padStart(w)).join(' '));
}

/** Growth per quantity between the first and the last sample taken while training. */
function summarise(samples, done) {
  const training = samples.filter((s) => s.step > 0 && s.status === 'running');
  if (training.length < 2) return { note: 'fewer than two samples while training' };
  const [a, b] = [training[0], training.at(-1)];
  const span = b.minute - a.minute;
  const rate = (x, y, unit) => `${(y - x).toFixed(1)} ${unit} over ${span.toFixed(1)} min (${x.toFixed(1)} → ${y.toFixed(1)})`;
  const summary = {
    'steps': `${b.step - a.step} in ${span.toFixed(1)} min`,
    'host heap': rate(a.hostHeapUsedMB, b.hostHeapUsedMB, 'MB'),
    'host RSS (with the worker)': rate(a.hostRssMB, b.hostRssMB, 'MB'),
  };
  if (a.worker?.numTensors !== undefined && b.worker?.numTensors !== undefined) summary['worker tensors'] = `${a.worker.numTensors} → ${b.worker.numTensors}`;
  else summary['worker tensors'] = 'not reported (the extension API has no workerStats())';
  const loop = (h) => `p50 ${h.p50} ms, p99 ${h.p99} ms, max ${h.max} ms`;
  if (done?.loopWhileTrainingMs) summary['event-loop delay, whole run'] = loop(done.loopWhileTrainingMs);
  if (done?.loopIdleMs) summary['event-loop delay, idle after it'] = loop(done.loopIdleMs);
  return summary;
}

main();
