/**
 * The sequence-to-sequence thread's work without the thread: a run keeps its model in the file it
 * is given when it ends, a later thread loads it and decodes exactly as the run's own model did,
 * a continued run starts from the kept step, and loads that cannot be done say why. Also the
 * host's reading of a checkpoint's kind from its header.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { findWasmDir } from '../../src/engine/backend';
import { saveCheckpoint } from '../../src/engine/checkpoint';
import { UNKNOWN_TOKEN } from '../../src/engine/tokens';
import type { FromSeq2Seq, Seq2SeqRunOptions, ToSeq2Seq } from '../../src/protocol/seq2seqMessages';
import { checkpointKind } from '../../src/shared/checkpointKind';
import { sampleText } from '../../src/shared/seq2seqSamples';
import { PositionMeans, Seq2SeqRunner } from '../../src/worker/seq2seqRunner';
import { useWasm } from './helpers/backend';

before(useWasm);

const OPTIONS: Seq2SeqRunOptions = {
  cell: 'lstm', layers: 1, hidden: 32, attention: 'dot', bidirectional: false, tokens: 'char', batchSize: 32, learningRate: 0.01, beam: 1, seed: 3, maxSeconds: 0,
};
const TEXT = sampleText('reverse', 400, 5);

/** A runner whose messages are collected, with a way to wait for one. */
function harness() {
  const got: FromSeq2Seq[] = [];
  const waiting: { want: (m: FromSeq2Seq) => boolean; resolve: (m: FromSeq2Seq) => void }[] = [];
  const runner = new Seq2SeqRunner((m) => {
    got.push(m);
    for (const w of waiting.splice(0)) {
      if (w.want(m)) w.resolve(m);
      else waiting.push(w);
    }
  }, async () => undefined, findWasmDir(__dirname));
  const next = <T extends FromSeq2Seq['type']>(type: T, pred: (m: Extract<FromSeq2Seq, { type: T }>) => boolean = () => true) =>
    new Promise<Extract<FromSeq2Seq, { type: T }>>((resolve) => {
      const found = got.find((m) => m.type === type && pred(m as Extract<FromSeq2Seq, { type: T }>));
      if (found) resolve(found as Extract<FromSeq2Seq, { type: T }>);
      else waiting.push({ want: (m) => m.type === type && pred(m as Extract<FromSeq2Seq, { type: T }>), resolve: resolve as (m: FromSeq2Seq) => void });
    });
  const send = (m: ToSeq2Seq) => void runner.handle(m);
  return { got, next, send };
}

/** Trains `steps` or more steps (stopped after the progress message that reports them). */
async function trainFor(h: ReturnType<typeof harness>, runId: string, steps: number, files: { save: string | null; resume: string | null }) {
  h.send({ type: 'start', runId, text: TEXT, options: OPTIONS, files });
  const started = await h.next('started', (m) => m.runId === runId);
  await h.next('progress', (m) => m.runId === runId && m.step >= started.fromStep + steps);
  h.send({ type: 'stop' });
  return { started, done: await h.next('done', (m) => m.runId === runId) };
}

const decode = async (h: ReturnType<typeof harness>, id: number, source: string) => {
  h.send({ type: 'translate', id, source });
  const t = await h.next('translated', (m) => m.id === id);
  assert.ok(t.ok, t.ok ? '' : t.error);
  return t;
};

test('a run keeps its model when it ends; another thread loads it and decodes exactly as the run did; a continued run starts from its step', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-s2s-runner-'));
  // The run's folder need not exist yet (a workspace's first run).
  const kept = path.join(dir, 'seq2seq', 'a.ckpt');
  const a = harness();
  const { done } = await trainFor(a, 's2s-a', 20, { save: kept, resume: null });
  assert.equal(done.reason, 'stopped');
  assert.equal(done.checkpoint, kept);
  assert.ok(fs.statSync(kept).size > 0);
  assert.equal(await checkpointKind(kept), 'seq2seq');
  const mine = await decode(a, 1, 'abcdefg');

  const b = harness();
  b.send({ type: 'load', id: 7, path: kept });
  const loaded = await b.next('loaded', (m) => m.id === 7);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
  assert.equal(loaded.step, done.steps);
  assert.deepEqual({ ...loaded.options, maxSeconds: 0 }, OPTIONS);
  const theirs = await decode(b, 2, 'abcdefg');
  assert.equal(theirs.output, mine.output);
  assert.deepEqual(theirs.probs, mine.probs);
  assert.equal(theirs.step, done.steps);

  // Continued: the kept step, weights and vocabulary; the file's checkpoint is written anew.
  const next = path.join(dir, 'b.ckpt');
  const cont = await trainFor(b, 's2s-b', 5, { save: next, resume: kept });
  assert.equal(cont.started.fromStep, done.steps);
  assert.ok(cont.done.steps >= done.steps + 5, `${cont.done.steps} steps after ${done.steps}`);
  assert.equal(cont.done.checkpoint, next);
  // The first evaluation comes before any new step: it is the kept model's accuracy, not a fresh one's.
  const first = await b.next('eval', (m) => m.runId === 's2s-b');
  assert.equal(first.eval.step, done.steps);
  // The last one has the gradient by source position, over the sources the steps had (5–10 letters).
  const last = b.got.filter((m): m is Extract<FromSeq2Seq, { type: 'eval' }> => m.type === 'eval' && m.runId === 's2s-b').at(-1)!;
  const norms = last.sourceGradNorms;
  assert.ok(norms.length >= 5 && norms.length <= 10, `${norms.length} source positions`);
  assert.ok(norms.every((x) => Number.isFinite(x) && x > 0), `norms ${norms.join(', ')}`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('loads that cannot be done say why, and leave the model that decodes as it was', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-s2s-runner-'));
  const h = harness();
  h.send({ type: 'translate', id: 1, source: 'abc' });
  const none = await h.next('translated', (m) => m.id === 1);
  assert.ok(!none.ok && /no sequence-to-sequence model yet/.test(none.error));

  const garbage = path.join(dir, 'garbage.ckpt');
  fs.writeFileSync(garbage, 'not a checkpoint at all, just text');
  h.send({ type: 'load', id: 2, path: garbage });
  const bad = await h.next('loaded', (m) => m.id === 2);
  assert.ok(!bad.ok && bad.error.length > 0);
  assert.equal(await checkpointKind(garbage), null);
  assert.equal(await checkpointKind(path.join(dir, 'missing.ckpt')), null);

  const language = path.join(dir, 'lm.ckpt');
  await saveCheckpoint(language, {
    config: { cell: 'lstm', layers: 1, hiddenSize: 8 }, vocab: { mode: 'char', tokens: [UNKNOWN_TOKEN, 'a'] },
    weights: [{ name: 'w', shape: [2], data: Float32Array.from([1, 2]) }], optimizer: null, metrics: { train: [], val: [] }, bestValLoss: null, createdAt: new Date(0).toISOString(),
  });
  assert.equal(await checkpointKind(language), 'language');
  h.send({ type: 'load', id: 3, path: language });
  const lm = await h.next('loaded', (m) => m.id === 3);
  assert.ok(!lm.ok && /language model/.test(lm.error), lm.ok ? '' : lm.error);

  // While a run trains, its model decodes: a load is refused and the run goes on.
  const kept = path.join(dir, 'kept.ckpt');
  h.send({ type: 'start', runId: 's2s-c', text: TEXT, options: OPTIONS, files: { save: kept, resume: null } });
  await h.next('progress', (m) => m.runId === 's2s-c' && m.step >= 3);
  h.send({ type: 'load', id: 4, path: kept });
  const busy = await h.next('loaded', (m) => m.id === 4);
  assert.ok(!busy.ok && /training/.test(busy.error));
  h.send({ type: 'stop' });
  const done = await h.next('done', (m) => m.runId === 's2s-c');
  assert.equal(done.checkpoint, kept);
  // A continued run from a file that is not there is refused before anything trains.
  h.send({ type: 'start', runId: 's2s-d', text: TEXT, options: OPTIONS, files: { save: null, resume: path.join(dir, 'missing.ckpt') } });
  const refused = await h.next('refused', (m) => m.runId === 's2s-d');
  assert.match(refused.error, /missing\.ckpt/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('gradient by source position: each position is the mean over the steps whose sources reach it', () => {
  const m = new PositionMeans();
  assert.deepEqual(m.take(), [], 'nothing measured yet');
  m.add([1, 2, 3]);
  m.add(Float32Array.from([3, 4, 5, 6, 7]));
  m.add([2]);
  assert.deepEqual(m.take(), [2, 3, 4, 6, 7]);
  // A take with no step since the last keeps the last means (a run that ends right after an evaluation).
  assert.deepEqual(m.take(), [2, 3, 4, 6, 7]);
  m.add([10, 20]);
  assert.deepEqual(m.take(), [10, 20], 'a fresh start after each take');
});
