import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { findWasmDir } from '../../src/engine/backend';
import { buildCodec } from '../../src/engine/codec';
import { DocumentStates } from '../../src/engine/docStates';
import { FusedStateReader } from '../../src/engine/fused/stateReader';
import { SequenceModel } from '../../src/engine/model';
import { inspectSpan, type StateAdvance } from '../../src/engine/spanInspect';
import { CELL_TYPES, type CellName } from '../../src/protocol/runConfig';
import { StateReaders } from '../../src/worker/stateReaders';
import { maxAbs, maxAbsDiff, randomArray, useWasm } from './helpers/backend';

before(useWasm);

const wasmDir = () => findWasmDir(__dirname);
// CRLF, tabs, CJK and astral characters; long enough for warm-ups, kept states and several kernel calls.
const text = 'def f(x):\r\n\treturn "quoted 🐚 text" + x  # 注释 𝔘nicode\r\nwhile n > 0:\n    n -= 1\n'.repeat(40);

/** Weights far from the initial ones (larger, so states saturate and differences show). */
function perturbed(model: SequenceModel, seed: number): void {
  model.named.forEach((p, k) => {
    const v = p.variable;
    v.assign(tf.add(v, tf.tensor(randomArray(v.size, seed + k, 0.3), v.shape)));
  });
}

async function pair(cell: CellName, layers: number, mode: 'char' | 'word') {
  const codec = buildCodec(mode, text);
  const model = SequenceModel.create({ cell, layers, hiddenSize: 16, vocabSize: codec.vocab.size, dropout: 0 }, 11);
  perturbed(model, 3);
  const reader = await FusedStateReader.create(model, wasmDir());
  reader.sync('v1');
  return { codec, model, reader };
}

for (const cell of CELL_TYPES) {
  test(`fused catch-up equals the tfjs one: ${cell}, 2 layers, char and word tokens`, async () => {
    for (const mode of ['char', 'word'] as const) {
      const { codec, model, reader } = await pair(cell, 2, mode);
      // Far into the text (a warm-up of 256 tokens, several kernel calls), then a kept state to read on from.
      // With a trace the span itself is read with tfjs; without one, on the kernels as well.
      for (const [at, len, trace] of [[text.length - 40, 20, true], [1500, 20, true], [1530, 20, true], [3, 20, true], [text.length - 300, 250, false], [1500, 90, false], [0, 40, false]] as const) {
        const plain = new DocumentStates(text);
        const fast = new DocumentStates(text);
        const a = inspectSpan(model, codec, plain, at, at + len, { next: true, surprisal: true, trace });
        const b = inspectSpan(model, codec, fast, at, at + len, { next: true, surprisal: true, trace }, reader);
        assert.deepEqual(b.tokens, a.tokens);
        assert.equal(b.bits!.length, a.bits!.length);
        assert.deepEqual(Array.from(b.bits!, Number.isNaN), Array.from(a.bits!, Number.isNaN), 'the same tokens have no surprisal');
        assert.equal(b.steps, a.steps);
        assert.deepEqual(fast.offsets(), plain.offsets(), 'states kept at the same offsets');
        assert.ok(maxAbsDiff(b.next!, a.next!) < 2e-5, `${cell} ${mode} at ${at}: next differs by ${maxAbsDiff(b.next!, a.next!)}`);
        assert.ok(maxAbsDiff(b.bits!.filter(Number.isFinite), a.bits!.filter(Number.isFinite)) < 1e-3 * Math.max(1, maxAbs(a.bits!.filter(Number.isFinite))));
        for (const o of plain.offsets()) {
          // Relative to the state's size: without a forget gate c grows with the text read.
          const want = plain.entryAtOrBefore(o)!.state;
          const d = maxAbsDiff(fast.entryAtOrBefore(o)!.state, want) / Math.max(1, maxAbs(want));
          assert.ok(d < 2e-6, `${cell} ${mode}: kept state at ${o} differs by ${d} of its largest value`);
        }
      }
      model.dispose();
    }
  });
}

test('a fused catch-up reads on from a kept state, not from zero', async () => {
  const { codec, model, reader } = await pair('lstm', 1, 'char');
  const ids = Int32Array.from(codec.encode(text.slice(0, 300)));
  const all = reader.advance(ids, null);
  const half = reader.advance(ids.subarray(0, 130), null);
  const top = new Float32Array(300 * 16);
  const rest = reader.advance(ids.subarray(130), half, top);
  assert.ok(maxAbsDiff(rest, all) < 1e-6, 'reading in two parts equals reading at once');
  // The top layer's h after each token: the last row is the state's h, the first the one after token 130.
  const n = ids.length - 130;
  assert.deepEqual(top.subarray((n - 1) * 16, n * 16), rest.subarray(0, 16));
  assert.ok(maxAbsDiff(top.subarray(0, 16), reader.advance(ids.subarray(130, 131), half).subarray(0, 16)) < 1e-6);
  // A few tokens on, the start state still shows (an LSTM forgets it over a longer stretch).
  assert.ok(maxAbsDiff(reader.advance(ids.subarray(130, 134), null), reader.advance(ids.subarray(130, 134), half)) > 1e-3, 'the start state matters');
  // The input state is not changed.
  const copy = half.slice();
  reader.advance(ids.subarray(0, 5), half);
  assert.deepEqual(half, copy);
  model.dispose();
});

test('the reader follows weight changes by version, and refuses bad ids and states', async () => {
  const { codec, model, reader } = await pair('gru', 2, 'char');
  const ids = Int32Array.from(codec.encode(text.slice(0, 100)));
  const before1 = reader.advance(ids, null);
  perturbed(model, 9);
  assert.deepEqual(reader.advance(ids, null), before1, 'same version: the copy keeps the weights it has');
  reader.sync('v2');
  const after = reader.advance(ids, null);
  assert.ok(maxAbsDiff(after, before1) > 1e-3, 'a new version loads the new weights');
  const doc = new DocumentStates(text);
  const tf1 = inspectSpan(model, codec, doc, 90, 90, { next: true });
  const fused = inspectSpan(model, codec, new DocumentStates(text), 90, 90, { next: true }, reader);
  assert.ok(maxAbsDiff(fused.next!, tf1.next!) < 2e-5);
  assert.throws(() => reader.advance(Int32Array.of(codec.vocab.size), null), /outside/);
  assert.throws(() => reader.advance(ids, new Float32Array(5)), /expected/);
  model.dispose();
});

test('StateReaders makes a reader per model in the background and serves it with the asked version', async () => {
  const codec = buildCodec('char', text);
  const model = SequenceModel.create({ cell: 'lstm', layers: 1, hiddenSize: 16, vocabSize: codec.vocab.size, dropout: 0 }, 5);
  const readers = new StateReaders(wasmDir());
  assert.equal(readers.readerFor(model, 'a'), undefined, 'not ready on the first ask');
  assert.ok(await readers.ready(model));
  const r: StateAdvance | undefined = readers.readerFor(model, 'a');
  assert.ok(r);
  // Hidden sizes the kernels cannot run are read with tfjs.
  const odd = SequenceModel.create({ cell: 'lstm', layers: 1, hiddenSize: 12, vocabSize: codec.vocab.size, dropout: 0 }, 5);
  assert.equal(readers.readerFor(odd, 'b'), undefined);
  assert.equal(await readers.ready(odd), false);
  // The first model's reader went with the model it served: asked again, it is made again.
  assert.equal(readers.readerFor(model, 'a'), undefined);
  assert.ok(await readers.ready(model));
  assert.ok(readers.readerFor(model, 'a'));
  // Without kernels everything is read with tfjs.
  assert.equal(new StateReaders(undefined).readerFor(model, 'a'), undefined);
  model.dispose();
  odd.dispose();
});
