import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { findBundle, findWasmDir } from '../../src/engine/backend';
import { DEFAULT_TRAIN_CONFIG } from '../../src/protocol/runConfig';
import type { DoneEvent, LoadResult, StepsEvent, TrainAccepted, ValEvent, WorkerToHost } from '../../src/protocol/workerProtocol';
import type { HoverResult, PredictResult, SpanValues, SurprisalResult, TraceResult, UnitSearchResult } from '../../src/protocol/inspectionMessages';
import { EngineService } from '../../src/worker/engineService';
import { correlate } from '../../src/worker/inspection';
import { useWasm } from './helpers/backend';

before(useWasm);

function harness() {
  const events: WorkerToHost[] = [];
  const service = new EngineService((m) => events.push(m), async () => 'wasm', { trainingScript: findBundle(__dirname, 'trainingWorker.js'), wasmDir: findWasmDir(__dirname) });
  const replyTo = (id: number) => events.find((e) => e.type === 'reply' && e.id === id) as { ok: boolean; result?: unknown; error?: string } | undefined;
  const done = () => new Promise<DoneEvent>((resolve) => {
    const poll = setInterval(() => {
      const d = events.find((e) => e.type === 'done') as DoneEvent | undefined;
      if (d) { clearInterval(poll); resolve(d); }
    }, 10);
  });
  return { events, service, replyTo, done };
}

const text = 'the cat sat on the mat. '.repeat(100);
const config = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 16, batchSize: 4, seqLength: 16, maxSeconds: 0, maxSteps: 30, valEvery: 10, sampleEvery: 15 };

test('train: accepted, steps streamed in order, validation, samples, done', async () => {
  const h = harness();
  await h.service.handle({ type: 'train', id: 1, runId: 'r1', text, config });
  const accepted = h.replyTo(1)!.result as TrainAccepted;
  assert.equal(accepted.runId, 'r1');
  assert.equal(accepted.vocabSize, new Set(text).size + 1);
  const done = await h.done();
  assert.equal(done.reason, 'completed');
  assert.equal(done.steps, 30);
  const steps = h.events.filter((e): e is StepsEvent => e.type === 'steps').flatMap((e) => e.points.map((p) => p.step));
  assert.deepEqual(steps, Array.from({ length: 30 }, (_, i) => i + 1));
  assert.equal(h.events.filter((e) => e.type === 'val').length, 3);
  assert.equal(h.events.filter((e) => e.type === 'sample').length, 2);
  // Every point says when it was taken: never negative, never going back.
  const seconds = h.events.filter((e): e is StepsEvent => e.type === 'steps').flatMap((e) => e.points.map((p) => p.seconds));
  assert.ok(seconds.every((s, i) => Number.isFinite(s) && s >= 0 && (i === 0 || s >= seconds[i - 1])), `step seconds: ${seconds.join(' ')}`);
  const vals = h.events.filter((e): e is ValEvent => e.type === 'val');
  assert.ok(vals.every((v) => v.seconds === seconds[v.step - 1]), 'a validation point has the time of the step it follows');
});

test('a second train while one runs is refused; stop ends the run', async () => {
  const h = harness();
  await h.service.handle({ type: 'train', id: 1, runId: 'r1', text, config: { ...config, maxSteps: 0, maxSeconds: 60 } });
  await h.service.handle({ type: 'train', id: 2, runId: 'r2', text, config });
  assert.equal(h.replyTo(2)!.ok, false);
  assert.match(h.replyTo(2)!.error!, /already in progress/);
  await new Promise((r) => setTimeout(r, 200));
  await h.service.handle({ type: 'stop', id: 3 });
  assert.deepEqual(h.replyTo(3)!.result, { wasRunning: true });
  assert.equal((await h.done()).reason, 'stopped');
});

test('predict: top-k distribution and the probability of what actually follows', async () => {
  const h = harness();
  await h.service.handle({ type: 'predict', id: 1, context: 'abc', next: 'd', topK: 5 });
  assert.match(h.replyTo(1)!.error!, /no trained model/);
  await h.service.handle({ type: 'train', id: 2, runId: 'r1', text, config: { ...config, maxSteps: 200, learningRate: 1e-2 } });
  await h.done();
  await h.service.handle({ type: 'predict', id: 3, context: 'the cat sat on the m', next: 'a', topK: 5 });
  const r = h.replyTo(3)!.result as PredictResult;
  assert.equal(r.top.length, 5);
  assert.ok(r.top[0].p >= r.top[1].p);
  const sum = r.top.reduce((s, t) => s + t.p, 0);
  assert.ok(sum <= 1 + 1e-5);
  assert.equal(r.top[0].token, 'a');
  assert.ok(r.actual && r.actual.known && r.actual.p > 0.5, JSON.stringify(r.actual));
  assert.ok(Math.abs(r.actual!.surprisalBits + Math.log2(r.actual!.p)) < 1e-9);
  // The gates at the hovered token: one entry per layer, each LSTM gate's mean in (0, 1).
  assert.equal(r.gates.length, 1);
  assert.deepEqual(Object.keys(r.gates[0]), ['input', 'forget', 'output']);
  assert.ok(Object.values(r.gates[0]).every((v) => v > 0 && v < 1), JSON.stringify(r.gates));
  await h.service.handle({ type: 'trace', id: 6, text: 'the cat sat on the m' });
  const traced = h.replyTo(6)!.result as TraceResult;
  const units = traced.layers[0].units;
  const forget = traced.layers[0].values.forget.subarray((traced.tokens.length - 1) * units);
  assert.ok(Math.abs(r.gates[0].forget - forget.reduce((a, b) => a + b, 0) / units) < 1e-6, 'the mean of the forget gate at the last token');
  await h.service.handle({ type: 'sample', id: 5, length: 40, temperature: 0.5, seed: 7 });
  const sampled = h.replyTo(5)!.result as { runId: string; text: string };
  assert.equal([...sampled.text].length, 40);
  assert.ok([...sampled.text].every((ch) => text.includes(ch)), 'samples only characters of the training text');
  await h.service.handle({ type: 'predict', id: 4, context: 'the 😀', next: '🎉', topK: 3 });
  const unk = h.replyTo(4)!.result as PredictResult;
  assert.equal(unk.actual!.known, false);
  assert.equal(unk.contextChars, 5);
});

test('trace and surprisal: per token, per layer, with offsets that map back to the text', async () => {
  const h = harness();
  await h.service.handle({ type: 'trace', id: 1, text: 'abc' });
  assert.match(h.replyTo(1)!.error!, /no trained model/);
  await h.service.handle({ type: 'train', id: 2, runId: 'r1', text, config: { ...config, layers: 2, maxSteps: 5 } });
  await h.done();
  const probe = 'the 🐈 sat';
  await h.service.handle({ type: 'trace', id: 3, text: probe });
  const t = h.replyTo(3)!.result as TraceResult;
  assert.deepEqual(t.tokens, [...probe]);
  assert.deepEqual([...t.offsets], [0, 1, 2, 3, 4, 6, 7, 8, 9]);
  assert.equal(t.layers.length, 2);
  assert.deepEqual(Object.keys(t.layers[1].values).sort(), ['c', 'candidate', 'forget', 'h', 'input', 'output']);
  assert.equal(t.layers[0].values.forget.length, t.tokens.length * 16);
  assert.equal(t.saturation[0].forget.left.length, 16);
  await h.service.handle({ type: 'surprisal', id: 4, text: probe });
  const s = h.replyTo(4)!.result as SurprisalResult;
  assert.equal(s.bits.length, t.tokens.length);
  assert.ok(Number.isNaN(s.bits[0]) && s.bits.slice(1).every((b) => b > 0));
});

test('with two workers the run trains data-parallel and reports the same kind of events', async () => {
  const h = harness();
  await h.service.handle({ type: 'train', id: 1, runId: 'r2', text, config: { ...config, workers: 2, maxSteps: 6 } });
  assert.equal(h.replyTo(1)!.ok, true);
  const done = await h.done();
  assert.equal(done.reason, 'completed', done.message);
  assert.equal(done.steps, 6);
});

test('checkpoints: written when the run ends, saved on request mid-run, loaded for predictions, and resumed where they left off', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lab-svc-'));
  try {
    const auto = path.join(dir, 'auto.ckpt');
    const h = harness();
    await h.service.handle({ type: 'train', id: 1, runId: 'r1', text, config: { ...config, maxSteps: 0, maxSeconds: 60 }, checkpointPath: auto, checkpointEveryMs: 1e9 });
    await new Promise((r) => setTimeout(r, 300));
    // A save asked for mid-run happens between two steps, with the optimizer state.
    const mid = path.join(dir, 'mid.ckpt');
    await h.service.handle({ type: 'save', id: 2, path: mid });
    const saved = h.replyTo(2)!.result as { step: number };
    assert.ok(saved.step > 0, `saved at step ${saved.step}`);
    const midCkpt = await loadCheckpoint(mid);
    assert.equal(midCkpt.config.step, saved.step);
    assert.ok(midCkpt.optimizer && midCkpt.optimizer.slots.length > 0);
    assert.equal(midCkpt.metrics.train.length, saved.step);
    await h.service.handle({ type: 'stop', id: 3 });
    const done = await h.done();
    assert.equal(done.reason, 'stopped');
    const written = h.events.filter((e) => e.type === 'checkpoint');
    assert.equal(written.length, 1, 'one checkpoint when the run ends');
    assert.equal((await loadCheckpoint(auto)).config.step, done.steps);

    // Loading makes the checkpoint's model answer, with its own run id.
    const fresh = harness();
    await fresh.service.handle({ type: 'load', id: 1, runId: 'loaded', path: auto });
    const loaded = fresh.replyTo(1)!.result as LoadResult;
    assert.equal(loaded.step, done.steps);
    assert.equal(loaded.config.hiddenSize, 16);
    assert.equal(loaded.train.length, done.steps);
    await fresh.service.handle({ type: 'predict', id: 2, context: 'the cat', next: ' ', topK: 3 });
    assert.equal((fresh.replyTo(2)!.result as PredictResult).runId, 'loaded');

    // Resuming continues the step count; a change to the model's shape is refused.
    await fresh.service.handle({ type: 'train', id: 3, runId: 'r2', text, config: { ...config, hiddenSize: 32 }, resumeFrom: auto });
    assert.match(fresh.replyTo(3)!.error!, /hiddenSize 16.*cannot change it to 32/);
    await fresh.service.handle({ type: 'train', id: 4, runId: 'r2', text, config: { ...config, maxSteps: 5 }, resumeFrom: auto });
    assert.equal((fresh.replyTo(4)!.result as TrainAccepted).startStep, done.steps);
    const resumed = await fresh.done();
    assert.equal(resumed.reason, 'completed');
    assert.equal(resumed.steps, done.steps + 5);
    const firstStep = fresh.events.find((e): e is StepsEvent => e.type === 'steps')!.points[0].step;
    assert.equal(firstStep, done.steps + 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('mirrored documents: hover reads from kept states, edits keep the copy in step, span and unit search answer per token', async () => {
  const h = harness();
  const quoted = 'say "hi there" now and "bye" then. '.repeat(40);
  await h.service.handle({ type: 'train', id: 1, runId: 'r1', text: quoted, config: { ...config, maxSteps: 20 } });
  await h.done();
  let id = 10;
  const ask = async <T>(m: Record<string, unknown>): Promise<T> => {
    const n = ++id;
    await h.service.handle({ ...m, id: n } as never);
    const r = h.replyTo(n)!;
    if (!r.ok) throw new Error(r.error);
    return r.result as T;
  };
  await assert.rejects(ask({ type: 'hover', key: 'd', offset: 0, topK: 3 }), /unknown document d/);
  await ask({ type: 'docOpen', key: 'd', text: quoted });
  const first = await ask<HoverResult>({ type: 'hover', key: 'd', offset: 500, topK: 3 });
  assert.equal(first.token, quoted[500]);
  assert.deepEqual([first.start, first.end], [500, 501]);
  assert.equal(first.actual!.token, quoted[501]);
  assert.equal(first.top.length, 3);
  assert.ok(Math.abs(first.actual!.surprisalBits + Math.log2(first.actual!.p)) < 1e-4);
  assert.deepEqual(Object.keys(first.gates[0]).sort(), ['forget', 'input', 'output']);
  const again = await ask<HoverResult>({ type: 'hover', key: 'd', offset: 505, topK: 3 });
  assert.ok(again.cached && again.steps <= 32, `a nearby hover reads from a kept state (${again.steps} steps)`);

  // Edits: applied in order, each on the result of the one before; the length is checked.
  await ask({ type: 'docEdit', key: 'd', changes: [{ offset: 0, removed: 3, text: 'SAY' }, { offset: 3, removed: 0, text: '€' }], length: quoted.length + 1 });
  const edited = await ask<HoverResult>({ type: 'hover', key: 'd', offset: 3, topK: 3 });
  assert.equal(edited.token, '€');
  assert.equal(edited.known, false, 'a character the model never saw is the unknown token');
  await assert.rejects(ask({ type: 'docEdit', key: 'd', changes: [{ offset: 0, removed: 1, text: '' }], length: 5 }), /unknown document d/);
  await assert.rejects(ask({ type: 'hover', key: 'd', offset: 0, topK: 3 }), /unknown document d/, 'a copy out of step is dropped, so the host sends it again');

  await ask({ type: 'docOpen', key: 'd', text: quoted });
  const span = await ask<SpanValues>({ type: 'span', key: 'd', start: 100, end: 160, surprisal: true, unit: { layer: 0, name: 'c', unit: 2 } });
  assert.equal(span.starts.length, 60);
  assert.equal(span.ends[59], 160);
  assert.ok(span.bits!.every((b) => Number.isFinite(b) && b >= 0));
  assert.equal(span.unit!.length, 60);
  await assert.rejects(ask({ type: 'span', key: 'd', start: 0, end: 10, unit: { layer: 3, name: 'c', unit: 0 } }), /layer 4 does not exist/);
  await assert.rejects(ask({ type: 'span', key: 'd', start: 0, end: 10, unit: { layer: 0, name: 'zeta', unit: 0 } }), /"zeta" is not traced/);

  const matches = [...quoted.matchAll(/"[^"]*"/g)].map((m) => ({ start: m.index!, end: m.index! + m[0].length }));
  const found = await ask<UnitSearchResult>({ type: 'unitSearch', key: 'd', start: 0, end: quoted.length, matches, top: 5 });
  assert.equal(found.tokens, quoted.length);
  assert.equal(found.positives, matches.reduce((n, m) => n + m.end - m.start, 0));
  assert.equal(found.units.length, 5);
  assert.ok(found.units.every((u, i) => i === 0 || Math.abs(u.r) <= Math.abs(found.units[i - 1].r)), 'sorted by |r|');
  assert.ok(found.units.every((u) => Math.abs(u.r) <= 1 && (u.r > 0) === (u.inside > u.outside)), 'r agrees with the means inside and outside');
});

test('correlate: Pearson r of a unit with a 0/1 mask', () => {
  const mask = Uint8Array.from([1, 1, 0, 0, 1, 0]);
  // Two units: unit 0 equals the mask (r = 1), unit 1 is its negation plus a constant (r = −1).
  const values = Float32Array.from([1, 5, 1, 5, 0, 6, 0, 6, 1, 5, 0, 6]);
  assert.ok(Math.abs(correlate(values, 2, 0, mask, 3).r - 1) < 1e-6);
  const neg = correlate(values, 2, 1, mask, 3);
  assert.ok(Math.abs(neg.r + 1) < 1e-6);
  assert.deepEqual([neg.inside, neg.outside], [5, 6]);
  const flat = correlate(new Float32Array(6).fill(0.5), 1, 0, mask, 3);
  assert.equal(flat.r, 0, 'a constant unit does not correlate');
});

test('a periodic checkpoint is announced after every step it holds: the host never names a checkpoint ahead of its loss history', async () => {
  const h = harness();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'order-'));
  try {
    // A checkpoint after nearly every step (the pause between steps writes it), with steps far more frequent than the 500 ms flush.
    await h.service.handle({ type: 'train', id: 1, runId: 'r1', text, config: { ...config, maxSteps: 40, valEvery: 1000, sampleEvery: 0 }, checkpointPath: path.join(dir, 'r1.ckpt'), checkpointEveryMs: 1 });
    await h.done();
    let seen = 0;
    let checkpoints = 0;
    for (const e of h.events) {
      if (e.type === 'steps') seen = Math.max(seen, ...(e as StepsEvent).points.map((p) => p.step));
      if (e.type === 'checkpoint') {
        checkpoints++;
        assert.ok(seen >= e.step, `checkpoint at step ${e.step} announced when the host had points up to ${seen}`);
      }
    }
    assert.ok(checkpoints >= 5, `${checkpoints} checkpoints`);
  } finally {
    await h.service.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the best-validation checkpoint is kept beside the latest: it holds the weights of the lowest validation loss', async () => {
  const h = harness();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'best-'));
  try {
    // A learning rate high enough that the validation loss goes up again before the run ends.
    await h.service.handle({ type: 'train', id: 1, runId: 'r1', text, config: { ...config, maxSteps: 60, valEvery: 4, sampleEvery: 0, learningRate: 0.08 }, checkpointPath: path.join(dir, 'r1.ckpt'), checkpointEveryMs: 1e9 });
    await h.done();
    const vals = h.events.filter((e): e is ValEvent => e.type === 'val');
    const best = vals.reduce((a, b) => (b.loss < a.loss ? b : a));
    assert.ok(best.step < vals[vals.length - 1].step, `the setup needs a best validation before the last one: ${vals.map((v) => `${v.step}:${v.loss.toFixed(3)}`).join(' ')}`);
    const latest = await loadCheckpoint(path.join(dir, 'r1.ckpt'));
    const kept = await loadCheckpoint(path.join(dir, 'r1.best.ckpt'));
    const stepOf = (c: typeof latest) => c.metrics.train[c.metrics.train.length - 1].step;
    assert.equal(stepOf(latest), 60);
    assert.equal(stepOf(kept), best.step, 'the best checkpoint is of the step with the lowest validation loss');
    assert.equal(kept.bestValLoss, best.loss);
    assert.deepEqual(kept.metrics.val[kept.metrics.val.length - 1], { step: best.step, loss: best.loss });
  } finally {
    await h.service.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
