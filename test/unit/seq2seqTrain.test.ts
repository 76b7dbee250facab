/**
 * Sequence to sequence end to end on the engine: decoding (beam width 1 is greedy), training a
 * small reversal task to exact answers with attention on the mirrored positions, checkpoints, and
 * the data errors a user meets.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { findWasmDir } from '../../src/engine/backend';
import { loadCheckpoint, saveCheckpoint } from '../../src/engine/checkpoint';
import { configOf } from '../../src/engine/snapshot';
import { EOS_ID } from '../../src/engine/seq2seq/batches';
import { beamDecode, greedyDecode } from '../../src/engine/seq2seq/decode';
import { sampleText } from '../../src/shared/seq2seqSamples';
import { prepareSeq2Seq, SEQ2SEQ_DEFAULTS, seq2seqCheckpoint, seq2seqCodecOf, seq2seqFromCheckpoint, Seq2SeqTrainer, type Seq2SeqOptions } from '../../src/engine/seq2seq/trainer';
import { Rng } from '../../src/engine/rng';
import { useWasm } from './helpers/backend';

before(useWasm);

const wasmDir = () => findWasmDir(__dirname);

/** Reversal of 3–5 letters from a 6-letter alphabet: small enough to learn in seconds. */
function reversalText(n: number, seed: number): string {
  const rng = new Rng(seed);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 3 + Math.floor(rng.next() * 3);
    let s = '';
    for (let k = 0; k < len; k++) s += 'abcdef'[Math.floor(rng.next() * 6)];
    lines.push(`${s}\t${[...s].reverse().join('')}`);
  }
  return lines.join('\n');
}

const small: Seq2SeqOptions = { ...SEQ2SEQ_DEFAULTS, hidden: 32, batchSize: 32, learningRate: 0.01, attention: 'dot' };

test('beam search of width 1 writes what greedy decoding writes; wider beams are valid and repeatable', async () => {
  const data = prepareSeq2Seq(reversalText(200, 1), small);
  const t = await Seq2SeqTrainer.create(data, { ...small, attention: 'additive', bidirectional: true }, wasmDir());
  for (let i = 0; i < 20; i++) t.trainStep();
  const sources = data.heldOut.slice(0, 8).map((p) => p.source);
  for (const source of sources) {
    const g = greedyDecode(t.model, [source], 12)[0];
    const b = t.translate(t.data.codec.decode(source), 1);
    const beam1 = beamDecode(t.model, source, 1, 12);
    assert.deepEqual(beam1.ids, g.ids);
    assert.deepEqual(b.ids, g.ids);
    beam1.probs.forEach((p, k) => assert.ok(Math.abs(p - g.probs[k]) < 1e-5));
    assert.equal(g.attention.length, g.ids.length);
    for (const a of g.attention) {
      assert.equal(a.length, source.length);
      assert.ok(Math.abs(a.reduce((x, y) => x + y, 0) - 1) < 1e-4, 'attention weights sum to 1');
    }
    const wide = t.translate(t.data.codec.decode(source), 4);
    assert.deepEqual(t.translate(t.data.codec.decode(source), 4).ids, wide.ids, 'the same beam twice');
    assert.ok(wide.ids.length >= 1 && wide.ids.length <= t.maxDecodeSteps);
    assert.ok(wide.ids.slice(0, -1).every((id) => id !== EOS_ID), 'the end marker only at the end');
  }
  // Greedy decoding of several sources at once equals decoding each alone.
  const same = data.heldOut.filter((p) => p.source.length === 4).slice(0, 5).map((p) => p.source);
  const together = greedyDecode(t.model, same, 12);
  same.forEach((s, i) => assert.deepEqual(together[i].ids, greedyDecode(t.model, [s], 12)[0].ids));
  assert.throws(() => greedyDecode(t.model, [sources[0], new Int32Array(sources[0].length + 1)], 5), /one length/);
  assert.throws(() => beamDecode(t.model, sources[0], t.model.batch + 1, 5), /beam width/);
});

test('with attention a small reversal task is learned exactly, and attention sits on the mirrored positions', async () => {
  const data = prepareSeq2Seq(reversalText(2000, 2), small);
  const t = await Seq2SeqTrainer.create(data, small, wasmDir());
  const first = t.evaluate();
  let ev = first;
  for (let round = 0; round < 20 && ev.exactMatch < 1; round++) {
    for (let i = 0; i < 50; i++) t.trainStep();
    ev = t.evaluate();
  }
  assert.ok(first.exactMatch < 0.1, `untrained: ${first.exactMatch}`);
  assert.ok(ev.exactMatch >= 0.99, `exact match ${ev.exactMatch} after ${t.step} steps`);
  assert.ok(ev.tokenAccuracy >= 0.99);
  assert.ok(ev.examples.every((x) => x.correct && x.output === [...x.source].reverse().join('')));
  // Mean attention on the mirrored source position, over the held-out decodings (the end marker's step aside).
  let onMirror = 0;
  let n = 0;
  const out = t.decodeMany(data.heldOut.map((p) => p.source));
  data.heldOut.forEach((p, i) => {
    const Ts = p.source.length;
    for (let k = 0; k < Ts; k++) {
      onMirror += out[i].attention[k][Ts - 1 - k];
      n++;
    }
  });
  assert.ok(onMirror / n >= 0.8, `attention on the mirrored position: ${(onMirror / n).toFixed(3)}`);
});

test('a checkpoint keeps the model, its vocabulary and Adam state; a language-model checkpoint is refused', async () => {
  const data = prepareSeq2Seq(reversalText(300, 3), small);
  const t = await Seq2SeqTrainer.create(data, { ...small, cell: 'gru', layers: 2, attention: 'additive', bidirectional: true }, wasmDir());
  for (let i = 0; i < 15; i++) t.trainStep();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-'));
  const file = path.join(dir, 'model.lstmlab');
  await saveCheckpoint(file, seq2seqCheckpoint(t, { train: [{ step: 15, loss: 1.5 }], val: [] }));
  const back2 = await loadCheckpoint(file);
  const back = await seq2seqFromCheckpoint(back2, wasmDir());
  assert.deepEqual(back.options, t.options);
  assert.equal(back.step, 15);
  assert.equal(back.model.steps, t.model.steps);
  t.model.params.forEach((p, k) => assert.deepEqual(back.model.values(back.model.params[k]), t.model.values(p)));
  for (const s of ['abc', 'fed', 'aabbc']) assert.deepEqual(back.translate(s).ids, t.translate(s).ids);
  // Training goes on from the same Adam state: one more step on both gives the same weights.
  const resumed = await seq2seqFromCheckpoint(await loadCheckpoint(file), wasmDir(), data);
  const batch = data.train.slice(0, 8);
  const { makeBatch, padBatch } = await import('../../src/engine/seq2seq/batches');
  const b = padBatch(makeBatch(batch.filter((p) => p.source.length === batch[0].source.length)), t.model.batch);
  t.model.step(b, { learningRate: 0.01, clipNorm: 5 });
  resumed.model.step(b, { learningRate: 0.01, clipNorm: 5 });
  t.model.params.forEach((p, k) => assert.deepEqual(resumed.model.values(resumed.model.params[k]), t.model.values(p), p.key));
  // More pairs encoded for the resumed model keep its vocabulary; a letter it never saw reads as unknown.
  const more = prepareSeq2Seq('abc\tcba\nxyz\tzyx\nfed\tdef\n', small, seq2seqCodecOf(back2));
  assert.deepEqual(more.codec.vocab.tokens, t.data.codec.vocab.tokens);
  assert.deepEqual(Array.from(more.train[1].source), [0, 0, 0]);
  // Each kind of loader names the other kind.
  assert.throws(() => configOf(back2), /sequence-to-sequence model, not a language model/);
  const lm = await loadCheckpoint(file);
  delete lm.config.kind;
  await assert.rejects(seq2seqFromCheckpoint(lm, wasmDir()), /language model/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('bad files of pairs are refused with a clear message before anything starts', () => {
  assert.throws(() => prepareSeq2Seq('', small), /no pairs/);
  assert.throws(() => prepareSeq2Seq('just one column\nand another\n', small), /No line of the file is a pair/);
  assert.throws(() => prepareSeq2Seq(`${'x'.repeat(10_000)}\ty\nab\tba\n`, small), /10000 characters on one side/);
  assert.throws(() => prepareSeq2Seq('ab\t \ncd\tdc\n', small), /the target is empty/);
  assert.throws(() => prepareSeq2Seq(sampleText('dates', 200), { tokens: 'char', maxVocab: 20 }), /distinct characters; the vocabulary holds at most 16/);
  const ok = prepareSeq2Seq(sampleText('addition', 100), small);
  assert.equal(ok.train.length, 90);
  assert.equal(ok.heldOut.length, 10);
  assert.equal(ok.maxSource, 7);
  assert.equal(ok.maxTarget, 5);
});
