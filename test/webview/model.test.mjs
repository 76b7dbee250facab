// The webview's pure parts, without a browser: message validation, the model, series alignment.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { EMPTY_SNAPSHOT, lossCurve, runInfo, snapshot } from './fixtures.mjs';
import { importTs } from './harness.mjs';

let m;

before(async () => {
  m = await importTs(['webview/hostMessages.ts', 'webview/panelModel.ts', 'webview/lossSeries.ts', 'webview/format.ts', 'webview/colormap.ts', 'webview/gateHeatmap.ts', 'webview/lossTransform.ts']);
});

test('alignLoss puts both series on one step axis with nulls where a series has no point', () => {
  const train = [{ step: 0, loss: 4 }, { step: 1, loss: 3.5 }, { step: 2, loss: 3 }, { step: 3, loss: 2.8 }];
  const val = [{ step: 0, loss: 4.1 }, { step: 2, loss: 3.2 }, { step: 5, loss: 2.9 }];
  assert.deepEqual(m.alignLoss(train, val), [
    [0, 1, 2, 3, 5],
    [4, 3.5, 3, 2.8, null],
    [4.1, null, 3.2, null, 2.9],
  ]);
  assert.deepEqual(m.alignLoss([], []), [[], [], []]);
});

test('parseHostMessage ignores unknown or malformed messages and drops undrawable points', () => {
  for (const bad of [null, 'snapshot', [], { type: 'nope' }, { type: 'metrics' }, { type: 'status', runId: 'r', status: 'exploded' },
    { type: 'sample', runId: 'r', step: 'x', text: '' }, { type: 'snapshot', state: null }]) {
    assert.equal(m.parseHostMessage(bad), null, JSON.stringify(bad));
  }
  const metrics = m.parseHostMessage({ type: 'metrics', runId: 'r', train: [{ step: 1, loss: 2 }, { step: 2, loss: Infinity }, { step: 3 }, 7], val: 'x', charsPerSec: Number.NaN, extra: 1 });
  assert.deepEqual(metrics, { type: 'metrics', runId: 'r', train: [{ step: 1, loss: 2 }], val: [], charsPerSec: 0 });
  assert.deepEqual(m.parseHostMessage({ type: 'status', runId: 'r', status: 'failed', message: 42 }), { type: 'status', runId: 'r', status: 'failed', message: null });
});

test('parseSnapshot sorts out-of-order points, keeps the last of duplicates, and drops a malformed run', () => {
  const s = m.parseSnapshot({ ...snapshot().state, run: { runId: 'r' }, train: [{ step: 2, loss: 1 }, { step: 1, loss: 2 }, { step: 2, loss: 0.5 }] });
  assert.equal(s.run, null);
  assert.deepEqual(s.train, [{ step: 1, loss: 2 }, { step: 2, loss: 0.5 }]);
});

test('the model appends only new steps of the current run and counts series changes', () => {
  const model = new m.PanelModel();
  assert.equal(model.apply(snapshot({ train: lossCurve(0, 10), val: lossCurve(0, 1) })), true);
  const version = model.seriesVersion;
  assert.equal(model.apply({ type: 'metrics', runId: 'other', train: lossCurve(10, 5), val: [], charsPerSec: 1 }), false);
  assert.equal(model.apply({ type: 'metrics', runId: 'run-1', train: lossCurve(5, 10), val: [], charsPerSec: 9 }), true);
  assert.deepEqual(model.state.train.map((p) => p.step), [...Array(15).keys()]);
  assert.equal(model.state.charsPerSec, 9);
  assert.equal(model.seriesVersion, version + 1);
  model.apply({ type: 'metrics', runId: 'run-1', train: [], val: [], charsPerSec: 0 });
  assert.equal(model.seriesVersion, version + 1, 'no new points, no redraw of the chart');
  assert.equal(model.state.charsPerSec, 9, 'a missing speed keeps the last one');
  model.apply({ type: 'sample', runId: 'run-1', step: 14, text: 'abc' });
  model.apply({ type: 'status', runId: 'run-1', status: 'completed', message: 'done' });
  assert.equal(model.state.sample, 'abc');
  assert.equal(model.state.sampleStep, 14);
  assert.equal(model.state.status, 'completed');
  model.apply(EMPTY_SNAPSHOT);
  assert.equal(model.state.run, null);
  assert.equal(model.apply({ type: 'status', runId: 'run-1', status: 'running', message: null }), false);
});

test('persisted state round-trips and anything else is refused', () => {
  const model = new m.PanelModel();
  model.apply(snapshot({ run: runInfo({ runId: 'r9' }) }));
  model.apply({ type: 'sample', runId: 'r9', step: 7, text: 'x' });
  const restored = new m.PanelModel();
  assert.equal(restored.restore(JSON.parse(JSON.stringify(model.toPersisted()))), true);
  assert.deepEqual(restored.state, model.state);
  for (const bad of [undefined, null, {}, { version: 2, snapshot: snapshot().state }, { version: 1, snapshot: 3 }]) {
    assert.equal(new m.PanelModel().restore(bad), false, JSON.stringify(bad));
  }
});

test('formatting: losses in nats and bits/char, counts, learning rates, file names', () => {
  assert.equal(m.formatLoss(Math.LN2), '0.693 nats (1.000 bits/char)');
  assert.equal(m.formatCount(9_999), '9,999');
  assert.equal(m.formatCount(1_003_854), '1M');
  assert.equal(m.formatLearningRate(0.002), '0.002');
  assert.equal(m.formatLearningRate(0.0001), '1e-4');
  assert.equal(m.baseName('C:\\data\\a.txt'), 'a.txt');
  assert.equal(m.baseName('/home/u/b.md'), 'b.md');
});

test('gradient shades: 1 at lag 0, 0 at 1e-8 or below, linear in decades; the colour map runs dark to light', () => {
  assert.equal(m.gradShade(1), 1);
  assert.equal(m.gradShade(3), 1, 'an exploding gradient is clamped at the top');
  assert.equal(m.gradShade(1e-4), 0.5);
  assert.equal(m.gradShade(1e-12), 0);
  assert.equal(m.gradShade(0), 0);
  assert.equal(m.gradShade(Number.NaN), 0);
  assert.deepEqual(m.sequentialColor(0), [68, 1, 84]);
  assert.deepEqual(m.sequentialColor(1), [253, 231, 37]);
  const lum = ([r, g, b]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
  for (let i = 0; i < 10; i++) assert.ok(lum(m.sequentialColor((i + 1) / 10)) > lum(m.sequentialColor(i / 10)), `lightness rises at ${i / 10}`);
});

test('a snapshot carries the gradient-flow history; new measurements append to it', () => {
  const model = new m.PanelModel();
  const g = (step, clipped = false) => ({ step, h: [1, 0.5], c: [], clipped });
  model.apply({ type: 'snapshot', state: { ...snapshot().state, gradHistory: [g(10), g(20)] } });
  assert.equal(model.state.gradHistory.length, 2);
  model.apply({ type: 'gradFlow', runId: 'run-1', gradFlow: g(30, true) });
  assert.deepEqual(model.state.gradHistory.map((x) => x.step), [10, 20, 30]);
  assert.equal(model.state.gradFlow.step, 30);
  assert.equal(m.parseSnapshot({ ...snapshot().state, gradHistory: [g(1), { step: 'x' }, 7] }).gradHistory.length, 1, 'bad entries are dropped');
});

test('unit order: by index, or descending mean, variance or saturation over the tokens', () => {
  // 3 tokens × 3 units, [token × unit]: unit 0 steady at 0.5, unit 1 saturated high, unit 2 swinging.
  const data = [0.5, 0.95, 0.0, 0.5, 0.97, 1.0, 0.5, 0.99, 0.0];
  assert.deepEqual(m.unitOrder(data, 3, 3, 'unit'), [0, 1, 2]);
  assert.deepEqual(m.unitOrder(data, 3, 3, 'mean'), [1, 0, 2]);
  assert.deepEqual(m.unitOrder(data, 3, 3, 'variance'), [2, 1, 0]);
  assert.deepEqual(m.unitOrder(data, 3, 3, 'saturation'), [1, 2, 0]);
  // Signed values saturate towards ±1: a steady −0.95 unit is the most saturated.
  assert.deepEqual(m.unitOrder([-0.95, 0.2, -0.95, -0.3], 2, 2, 'saturation', false), [0, 1]);
  assert.deepEqual(m.unitOrder([-0.95, 0.2, -0.95, -0.3], 2, 2, 'saturation', true), [0, 1]);
  assert.deepEqual(m.unitOrder([0.5, -0.95, 0.5, -0.95], 2, 2, 'saturation', false), [1, 0]);
  assert.equal(m.tokenLabel('\n'), '↵');
  assert.equal(m.tokenLabel(' '), '·');
});

test('loss view: bits divide by ln 2; smoothing is a debiased moving average that starts at the first value', () => {
  const aligned = [[1, 2, 3], [2, null, 4], [null, 3, null]];
  const plain = m.lossView(aligned, { bits: false, logY: false, smoothing: 0 });
  assert.deepEqual(plain, [[1, 2, 3], [2, null, 4], [null, null, null], [null, 3, null]]);
  const bits = m.lossView(aligned, { bits: true, logY: false, smoothing: 0.5 });
  assert.ok(Math.abs(bits[1][0] - 2 / Math.LN2) < 1e-12);
  assert.ok(Math.abs(bits[2][0] - 2 / Math.LN2) < 1e-12, 'the first smoothed value is the first value, not pulled to 0');
  // Second train value 4: avg = 0.5·(0.5·2) + 0.5·4 = 2.5, weight = 0.75 → 3.333…
  assert.ok(Math.abs(bits[2][2] - (10 / 3) / Math.LN2) < 1e-12, String(bits[2][2]));
  assert.deepEqual(m.parseLossView({ bits: true, logY: 'yes', smoothing: 2 }), { bits: true, logY: false, smoothing: 0.6, time: false });
  assert.deepEqual(m.parseLossView({ time: true, smoothing: 0 }), { bits: false, logY: false, smoothing: 0, time: true });
  assert.equal(m.parseLossView({ time: 'yes' }).time, false);
});

test('points keep their seconds only when they are a time; bySeconds puts them on a time axis', () => {
  const metrics = m.parseHostMessage({ type: 'metrics', runId: 'r', charsPerSec: 1,
    train: [{ step: 1, loss: 2, seconds: 0.5 }, { step: 2, loss: 2, seconds: -1 }, { step: 3, loss: 2, seconds: Infinity }, { step: 4, loss: 2, seconds: '9' }, { step: 5, loss: 2, seconds: 0 }],
    val: [{ step: 1, loss: 3, seconds: 0.5 }] });
  assert.deepEqual(metrics.train, [{ step: 1, loss: 2, seconds: 0.5 }, { step: 2, loss: 2 }, { step: 3, loss: 2 }, { step: 4, loss: 2 }, { step: 5, loss: 2, seconds: 0 }]);
  assert.deepEqual(metrics.val, [{ step: 1, loss: 3, seconds: 0.5 }]);
  const snap = m.parseHostMessage(snapshot({ train: [{ step: 1, loss: 2, seconds: 1.25 }, { step: 2, loss: 1.9, seconds: Number.NaN }], val: [] }));
  assert.deepEqual(snap.state.train, [{ step: 1, loss: 2, seconds: 1.25 }, { step: 2, loss: 1.9 }]);
  // Without a time, or not after the one before, a point is left off the time axis.
  assert.deepEqual(m.bySeconds([{ step: 1, loss: 4, seconds: 0.5 }, { step: 2, loss: 3 }, { step: 3, loss: 2, seconds: 0.5 }, { step: 4, loss: 1, seconds: 2 }]),
    [{ step: 0.5, loss: 4 }, { step: 2, loss: 1 }]);
});

test('formatSeconds ticks like a clock, with decimals below a second', () => {
  assert.deepEqual([0, 30, 60, 150, 599, 3600, 3725].map((s) => m.formatSeconds(s, 30)), ['0:00', '0:30', '1:00', '2:30', '9:59', '1:00:00', '1:02:05']);
  assert.equal(m.formatSeconds(2.5, 0.5), '2.5 s');
  assert.equal(m.formatSeconds(0.05, 0.05), '0.05 s');
});

test('a trace arrives as Float32Arrays (binary from the host) or plain arrays, and is checked for size', () => {
  const trace = (values) => ({ type: 'trace', runId: 'r', trace: { step: 3, tokens: ['a', 'b'], offsets: [0, 1], layers: [{ units: 2, values }], gates: ['input'] } });
  const binary = m.parseHostMessage(trace({ input: Float32Array.of(0.1, 0.2, 0.3, 0.4), h: Float32Array.of(-1, 0, 1, 0.5) }));
  assert.ok(binary, 'a binary trace is taken');
  assert.ok(binary.trace.layers[0].values.h instanceof Float32Array);
  assert.deepEqual(Array.from(binary.trace.layers[0].values.h), [-1, 0, 1, 0.5]);
  const plain = m.parseHostMessage(trace({ input: [0.5, 0.5, 0.5, 0.5] }));
  assert.ok(plain.trace.layers[0].values.input instanceof Float32Array, 'plain arrays become Float32Arrays');
  assert.equal(m.parseHostMessage(trace({ input: Float32Array.of(0.1, 0.2, 0.3) })), null, 'wrong length');
  assert.equal(m.parseHostMessage(trace({ input: [0.1, 'x', 0.3, 0.4] })), null, 'not numbers');
  assert.equal(m.parseHostMessage(trace({ input: new Int32Array(4) })), null, 'another array type');
});
