import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { buildCodec, type Codec } from '../../src/engine/codec';
import { DocumentStates } from '../../src/engine/docStates';
import { inspectSpan } from '../../src/engine/spanInspect';
import { nextDistribution, surprisal, traceSpan } from '../../src/engine/infer';
import { SequenceModel } from '../../src/engine/model';
import type { CellName } from '../../src/protocol/runConfig';
import { useWasm } from './helpers/backend';

before(useWasm);

// CRLF, tabs, CJK and astral characters, so UTF-16 offsets and code points differ.
const base = 'def f(x):\r\n\treturn "quoted 🐚 text" + x  # 注释 𝔘nicode\r\n';
const text = base.repeat(8);

function setup(cell: CellName, mode: 'char' | 'word', layers = 2): { model: SequenceModel; codec: Codec } {
  const codec = buildCodec(mode, text);
  return { model: SequenceModel.create({ cell, layers, hiddenSize: 12, vocabSize: codec.vocab.size, dropout: 0 }, 7), codec };
}

/** Index of the token starting at `offset` in a whole-text tokenization. */
function tokenIndexAt(codec: Codec, s: string, offset: number): number {
  const { offsets } = codec.tokenize(s);
  const i = offsets.indexOf(offset);
  assert.ok(i >= 0, `a token starts at ${offset}`);
  return i;
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 2e-4): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i])) assert.ok(Number.isNaN(a[i]), `${what}[${i}] NaN`);
    else assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

for (const mode of ['char', 'word'] as const) {
  test(`${mode} tokens: spans read from kept states equal one pass over the whole document, and later looks run at most K steps`, () => {
    const { model, codec } = setup('lstm', mode);
    const doc = new DocumentStates(text, { every: 8, warmup: 1_000_000, maxEntries: 1000 });
    doc.useModel('m');
    const ids = codec.encode(text);
    const full = surprisal(model, ids);
    const traced = traceSpan(model, ids);
    const { offsets } = codec.tokenize(text);

    const start = base.length * 3 + 5;
    const end = base.length * 4;
    const r = inspectSpan(model, codec, doc, start, end, { surprisal: true, trace: true, unit: { layer: 1, name: 'c', unit: 3 } });
    assert.equal(r.cached, true);
    const first = offsets.findIndex((o, i) => o + codec.tokenize(text).tokens[i].length > start);
    assert.equal(r.offsets[0], offsets[first]);
    assert.equal(r.tokens.length, r.ids.length);
    close(r.bits!, full.subarray(first, first + r.tokens.length), 'bits');
    const H = 12;
    for (const name of ['input', 'forget', 'output', 'candidate', 'c', 'h']) {
      close(r.trace![1].values[name], traced[1].values[name].subarray(first * H, (first + r.tokens.length) * H), `layer 2 ${name}`);
    }
    close(r.unit!, Array.from({ length: r.tokens.length }, (_, j) => traced[1].values.c[(first + j) * H + 3]), 'unit c3');
    assert.equal(r.steps, first + r.tokens.length, 'the first look reads from the document start');
    assert.ok(doc.size >= Math.floor((first + r.tokens.length) / 8), `states kept every 8 tokens (${doc.size})`);

    // A hover inside the read stretch: at most K steps, and the same distribution as a full pass.
    const at = offsets[first + 13];
    const h = inspectSpan(model, codec, doc, at, at, { next: true });
    assert.ok(h.steps <= 8, `hover ran ${h.steps} steps`);
    assert.equal(h.tokens.length, 1);
    close(h.next!, nextDistribution(model, ids.subarray(0, first + 14)), 'next');
    assert.equal(h.following?.offset, offsets[first + 14]);

    // An edit drops only the states at or after it; the result follows the new text.
    const edit = offsets[first + 20];
    const before = doc.offsets().filter((o) => o < edit - 2);
    doc.edit(edit, 3, 'XYZ 😀');
    assert.deepEqual(doc.offsets(), before);
    const edited = doc.text;
    assert.equal(edited, text.slice(0, edit) + 'XYZ 😀' + text.slice(edit + 3));
    const ids2 = codec.encode(edited);
    const full2 = surprisal(model, ids2);
    const s2 = inspectSpan(model, codec, doc, edit - 10, edit + 30, { surprisal: true });
    const i2 = codec.tokenize(edited).offsets.indexOf(s2.offsets[0]);
    assert.ok(i2 > 0);
    close(s2.bits!, full2.subarray(i2, i2 + s2.tokens.length), 'bits after the edit');
    assert.ok(s2.steps <= 8 + s2.tokens.length, `after the edit only the states after it are read again (${s2.steps} steps)`);
    model.dispose();
  });
}

test('with no kept state near, a span is read after a warm-up of W tokens from a zero state, and states are kept only once warm', () => {
  const { model, codec } = setup('gru', 'char', 1);
  const doc = new DocumentStates(text, { every: 8, warmup: 20, maxEntries: 1000 });
  doc.useModel('m');
  const at = base.length * 5 + 2; // on a code point boundary
  const r = inspectSpan(model, codec, doc, at, at, { next: true });
  assert.equal(r.cached, false);
  assert.equal(r.steps, 21);
  const ids = codec.encode(text);
  const i = tokenIndexAt(codec, text, at);
  close(r.next!, nextDistribution(model, ids.subarray(i - 20, i + 1)), 'next after warm-up');
  // Kept: the state before the span (after the 20-token warm-up) and after it; none from before the warm-up ended.
  const { offsets } = codec.tokenize(text);
  assert.deepEqual(doc.offsets(), [offsets[i], offsets[i + 1]]);
  const again = inspectSpan(model, codec, doc, offsets[i + 1], offsets[i + 1], { next: true });
  assert.equal(again.cached, true);
  assert.equal(again.steps, 1);
  close(again.next!, nextDistribution(model, ids.subarray(i - 20, i + 2)), 'next from the kept state');
  model.dispose();
});

test('first and last position, and a model change drops kept states', () => {
  const { model, codec } = setup('rnn', 'char', 2);
  const doc = new DocumentStates(text, { every: 8, warmup: 64, maxEntries: 1000 });
  doc.useModel('a');
  const first = inspectSpan(model, codec, doc, 0, 0, { next: true, surprisal: true });
  assert.equal(first.tokens[0], 'd');
  assert.ok(Number.isNaN(first.bits![0]), 'nothing predicts the first token');
  assert.equal(first.following?.token, 'e');
  const lastAt = text.length - 1;
  const last = inspectSpan(model, codec, doc, lastAt, lastAt, { next: true });
  assert.equal(last.tokens[0], '\n');
  assert.equal(last.following, null);
  // Hovering the second half of a surrogate pair is the same character.
  const astral = text.indexOf('🐚');
  const low = inspectSpan(model, codec, doc, astral + 1, astral + 1, { next: true });
  assert.equal(low.tokens[0], '🐚');
  assert.equal(low.offsets[0], astral);
  assert.ok(doc.size > 0);
  doc.useModel('b');
  assert.equal(doc.size, 0);
  const tensors = tf.memory().numTensors;
  inspectSpan(model, codec, doc, 100, 300, { surprisal: true, trace: true, next: true });
  assert.equal(tf.memory().numTensors, tensors, 'no tensors left behind');
  model.dispose();
});

test('kept states are bounded, keeping those nearest the latest look', () => {
  const { model, codec } = setup('lstm', 'char', 1);
  const doc = new DocumentStates(text, { every: 4, warmup: 1_000_000, maxEntries: 20 });
  doc.useModel('m');
  inspectSpan(model, codec, doc, text.length - 10, text.length - 9, { next: true });
  assert.ok(doc.size <= 22, `at most about maxEntries states (${doc.size})`);
  assert.ok(doc.offsets().at(-1)! >= text.length - 20, 'the states near the look are kept');
  assert.throws(() => doc.edit(text.length, 5, ''), /outside the document/);
  model.dispose();
});

test('word tokens: a hover inside a word with nothing kept warms up on exactly W whole tokens and keeps the state at the word', () => {
  const { model, codec } = setup('lstm', 'word', 1);
  const doc = new DocumentStates(text, { every: 8, warmup: 20, maxEntries: 1000 });
  doc.useModel('m');
  const word = text.indexOf('quoted', base.length * 6);
  const r = inspectSpan(model, codec, doc, word + 3, word + 3, { next: true });
  assert.equal(r.tokens[0], 'quoted');
  assert.equal(r.offsets[0], word);
  assert.equal(r.cached, false);
  assert.equal(r.steps, 21, 'twenty whole tokens of warm-up, then the hovered word');
  assert.ok(doc.offsets().includes(word), 'the state before the word is kept');
  // The same word again starts from that state; a kept state nearer than a warm-up's start is used.
  assert.equal(inspectSpan(model, codec, doc, word + 1, word + 1, { next: true }).steps, 1);
  const further = text.indexOf('return', word);
  const again = inspectSpan(model, codec, doc, further, further, { next: true });
  assert.equal(again.cached, true);
  model.dispose();
});

test('a token longer than the tail read is taken whole, with the token after it', () => {
  const long = `${'x '.repeat(50)}${'7'.repeat(3000)} end`;
  const codec = buildCodec('word', long);
  const model = SequenceModel.create({ cell: 'lstm', layers: 1, hiddenSize: 8, vocabSize: codec.vocab.size, dropout: 0 }, 1);
  const doc = new DocumentStates(long, { every: 8, warmup: 16, maxEntries: 100 });
  doc.useModel('m');
  const at = long.indexOf('7');
  const r = inspectSpan(model, codec, doc, at + 10, at + 10, { next: true });
  assert.equal(r.tokens[0].length, 3000);
  assert.equal(r.following?.token, ' ');
  model.dispose();
});

test('many edits at once (last-first, apart) are applied in one pass, as one after another would', () => {
  const doc = new DocumentStates('abcdefghijklmnopqrstuvwxyz'.repeat(4), { every: 4, warmup: 8, maxEntries: 100 });
  for (let o = 0; o < 100; o += 4) doc.store(o, new Float32Array(2));
  const changes = [];
  for (let o = 96; o >= 20; o -= 8) changes.push({ offset: o, removed: 2, text: o % 16 === 0 ? '' : '[+]' });
  const one = new DocumentStates(doc.text);
  for (const c of changes) one.edit(c.offset, c.removed, c.text);
  doc.editMany(changes);
  assert.equal(doc.text, one.text);
  assert.equal(changes.at(-1)!.offset, 24);
  assert.deepEqual(doc.offsets(), [0, 4, 8, 12, 16, 20], 'states before the lowest edit (24) stay');
  assert.throws(() => doc.editMany(Array.from({ length: 10 }, (_, i) => ({ offset: 1000 - i * 10, removed: 1, text: '' }))), /outside the document/);
});

test('kept states are bounded in bytes too', () => {
  const doc = new DocumentStates('x'.repeat(10_000), { every: 4, warmup: 8, maxEntries: 100_000, maxBytes: 4096 });
  for (let o = 0; o < 2000; o++) doc.store(o, new Float32Array(64)); // 256 bytes each: 16 fit
  assert.ok(doc.size <= 16 * 1.1 + 1, `${doc.size} states of 256 bytes under 4 KiB`);
  assert.ok(doc.offsets().every((o) => o >= 1980), 'the ones nearest the latest are kept');
});
