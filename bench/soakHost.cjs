// Runs inside VS Code's extension host for bench/soak.mjs (it is passed as the
// extensionTestsPath, so the workbench calls run() and reports when it settles). Trains on the
// bundled sample with the panel open (or closed) and prints one `soak-sample {json}` line per interval.
// Settings come from the environment: SOAK_MINUTES, SOAK_INTERVAL_SECONDS, SOAK_PANEL (open or
// closed: closed closes the panel once training has started).
'use strict';
const vscode = require('vscode');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const minutes = Number(process.env.SOAK_MINUTES || 30);
const intervalMs = Number(process.env.SOAK_INTERVAL_SECONDS || 60) * 1000;
const MB = 1024 * 1024;

function print(tag, value) {
  console.log(`${tag} ${JSON.stringify(value)}`);
}

async function labApi() {
  const ext = vscode.extensions.all.find((e) => e.packageJSON && e.packageJSON.name === 'lstm-lab');
  if (!ext) throw new Error('LSTM Lab is not installed');
  return ext.activate();
}

/** Hover latency at a position that moves through the sample, so the model is asked about new text. */
async function hoverMs(uri, k) {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
  if (!doc) return null;
  const offset = Math.floor(((k * 7919) % 997) / 997 * (doc.getText().length - 1000)) + 500;
  const started = performance.now();
  const hovers = await vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri, doc.positionAt(offset));
  const ms = performance.now() - started;
  return hovers && hovers.length > 0 ? ms : null;
}

/** p50, p99 and max of an event-loop delay histogram, in ms. */
function percentiles(h) {
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), samples: h.count };
}

async function sample(api, k, startedAt, loop, uri) {
  const mem = process.memoryUsage();
  const snap = api.snapshot();
  const last = snap.train.length ? snap.train[snap.train.length - 1] : null;
  // Optional until the extension exposes it: the worker's own tfjs and heap figures.
  const asked = performance.now();
  const worker = typeof api.workerStats === 'function' ? await api.workerStats().catch((e) => ({ error: String(e) })) : null;
  // A request the engine answers at once: the round trip alone, without any model work.
  const engineRoundTripMs = performance.now() - asked;
  const s = {
    minute: (Date.now() - startedAt) / 60_000,
    step: last ? last.step : 0,
    loss: last ? last.loss : null,
    status: snap.status,
    trainPoints: snap.train.length,
    panelOpen: api.panelOpen(),
    hostRssMB: mem.rss / MB,
    hostHeapUsedMB: mem.heapUsed / MB,
    hostHeapTotalMB: mem.heapTotal / MB,
    hostExternalMB: mem.external / MB,
    hostArrayBuffersMB: mem.arrayBuffers / MB,
    loopP99Ms: loop.count > 0 ? loop.percentile(99) / 1e6 : null,
    hoverMs: await hoverMs(uri, k),
    // The same position again at once: the engine reads on from the state it just kept.
    hoverAgainMs: await hoverMs(uri, k),
    engineRoundTripMs,
    worker,
  };
  loop.reset();
  print('soak-sample', s);
}

/**
 * A CPU profile of the extension host's thread while training (SOAK_PROFILE names the file):
 * what runs on the host, by function. Starts 10 s into the run so that training is under way.
 */
async function profileHost(file, ms) {
  const inspector = require('node:inspector');
  const fs = require('node:fs');
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  await new Promise((r) => setTimeout(r, 10_000));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  await new Promise((r) => setTimeout(r, ms));
  const { profile } = await post('Profiler.stop');
  fs.writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
  print('soak-profile', { file, ms });
}

async function run() {
  const api = await labApi();
  const c = vscode.workspace.getConfiguration('lstmLab');
  // The default workload, with time to spare past the soak's end.
  await c.update('train.maxSeconds', minutes * 60 + 300, vscode.ConfigurationTarget.Global);
  // 1 ms resolution: the delay is what a timer is late by, not a coarse timer's interval.
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const startedAt = Date.now();
  await sample(api, 0, startedAt, loop, null);
  const opened = await vscode.commands.executeCommand('lstmLab.openSample', { train: true });
  if (!opened || !opened.runId) throw new Error('training did not start on the sample');
  print('soak-start', { runId: opened.runId, uri: opened.uri, pid: process.pid });
  if (process.env.SOAK_PANEL === 'closed') {
    const panels = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview);
    await vscode.window.tabGroups.close(panels);
    if (api.panelOpen()) throw new Error('the panel did not close');
  }
  if (process.env.SOAK_PROFILE) void profileHost(process.env.SOAK_PROFILE, 20_000);
  // The whole run in one histogram as well: its p99 is the run's, not the worst of the samples'.
  const whole = monitorEventLoopDelay({ resolution: 1 });
  whole.enable();
  for (let k = 1; Date.now() - startedAt < minutes * 60_000; k++) {
    const due = startedAt + k * intervalMs;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    await sample(api, k, startedAt, loop, opened.uri);
    if (!api.isTraining()) throw new Error(`training ended early: ${api.snapshot().status}`);
  }
  whole.disable();
  await vscode.commands.executeCommand('lstmLab.stop');
  const stopped = Date.now();
  while (api.isTraining() && Date.now() - stopped < 30_000) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 5_000)); // let the last checkpoint and metrics settle
  // One interval with nothing training: the event-loop delay to compare the training ones with.
  loop.reset();
  await new Promise((r) => setTimeout(r, intervalMs));
  const idle = percentiles(loop);
  await sample(api, -1, startedAt, loop, opened.uri);
  loop.disable();
  print('soak-done', { status: api.snapshot().status, loopWhileTrainingMs: percentiles(whole), loopIdleMs: idle });
}

module.exports = { run };
