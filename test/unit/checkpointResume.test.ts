// Checkpoints meeting a model: a vocabulary that disagrees with the weights, absurd sizes, a
// configuration that is not plain settings, and resuming on a text with another vocabulary.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_TRAIN_CONFIG, type CellName, type TrainConfig } from '../../src/protocol/runConfig';
import { loadCheckpoint, saveCheckpoint } from '../../src/engine/checkpoint';
import { type Checkpoint } from '../../src/engine/checkpointFormat';
import { buildCodec } from '../../src/engine/codec';
import { SequenceModel } from '../../src/engine/model';
import { MAX_UNKNOWN_SHARE, resumeRun } from '../../src/engine/resume';
import { captureCheckpoint, configOf, modelWeightShapes, restoreRun } from '../../src/engine/snapshot';
import { StreamBatcher } from '../../src/engine/data';
import { Trainer } from '../../src/engine/trainer';
import { UNKNOWN_TOKEN } from '../../src/engine/tokens';
import { useWasm } from './helpers/backend';

before(useWasm);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lab-checkpoint-resume-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TEXT = 'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness. '.repeat(20);
const CONFIG: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, cell: 'lstm', layers: 1, hiddenSize: 8, batchSize: 4, seqLength: 8, maxSeconds: 0, maxSteps: 2 };

/** A checkpoint of a model trained three steps on TEXT's first 90%, as a run writes it. */
async function trainedCheckpoint(config = CONFIG): Promise<Checkpoint> {
  const codec = buildCodec('char', TEXT.slice(0, Math.ceil(TEXT.length * 0.9)));
  const model = SequenceModel.create({ cell: config.cell, layers: config.layers, hiddenSize: config.hiddenSize, vocabSize: codec.vocab.size, dropout: 0 }, config.seed);
  const trainer = new Trainer(model, { optimizer: config.optimizer, learningRate: config.learningRate, clipNorm: config.clipNorm, batch: config.batchSize });
  const batcher = new StreamBatcher(codec.encode(TEXT), config.batchSize, config.seqLength);
  for (let k = 0; k < 3; k++) trainer.step(batcher.next());
  const ckpt = await captureCheckpoint({ model, codec, config, trainer, step: 3, metrics: { train: [{ step: 3, loss: 3 }], val: [] }, bestValLoss: null });
  trainer.dispose();
  model.dispose();
  return ckpt;
}

/** Counts the models built while `fn` runs. */
async function modelsBuilt(fn: () => Promise<unknown>): Promise<number> {
  const create = SequenceModel.create;
  let count = 0;
  SequenceModel.create = (...args) => { count++; return create.apply(SequenceModel, args); };
  try {
    await fn();
  } finally {
    SequenceModel.create = create;
  }
  return count;
}

test('the weight shapes worked out for a configuration are those of the model built from it, for every cell', () => {
  for (const cell of ['rnn', 'lstm', 'noforget', 'peephole', 'cifg', 'gru'] as CellName[]) {
    for (const layers of [1, 3]) {
      const shape = { cell, layers, hiddenSize: 5, vocabSize: 11, dropout: 0 };
      const model = SequenceModel.create(shape, 1);
      assert.deepEqual(modelWeightShapes(shape), model.named.map((n) => ({ key: n.key, shape: n.variable.shape })), `${cell} × ${layers}`);
      model.dispose();
    }
  }
});

test('a checkpoint whose vocabulary disagrees with its embedding and output weights is refused, saying so, before a model is built', async () => {
  const ckpt = await trainedCheckpoint();
  const V = ckpt.vocab.tokens.length;
  const file = path.join(tmp, 'vocab.ckpt');
  for (const [tokens, found] of [[[...ckpt.vocab.tokens, 'Ω', 'Ж', '😀'], V], [ckpt.vocab.tokens.slice(0, V - 2), V]] as const) {
    // A file like this decodes (the format does not know the model) and is refused when restored, as the Load command does.
    await saveCheckpoint(file, { ...ckpt, vocab: { mode: 'char', tokens: [...tokens] } });
    const loaded = await loadCheckpoint(file);
    const tensors = tf.memory().numTensors;
    const built = await modelsBuilt(() => assert.rejects(restoreRun(loaded, configOf(loaded)), (e: Error) => {
      assert.equal(e.message, `the checkpoint's weight "layer0.Wx" has shape [${found}, 32] but the model needs [${tokens.length}, 32]: ` +
        `its vocabulary has ${tokens.length} tokens but its weights were made for ${found}`);
      return true;
    }));
    assert.equal(built, 0, 'no model was built');
    assert.equal(tf.memory().numTensors, tensors, 'no tensors were left behind');
  }
  // Only the output layer disagreeing is named as well.
  const outOnly = { ...ckpt, weights: ckpt.weights.map((w) => (w.name === 'out.W' ? { ...w, shape: [8, V - 1], data: w.data.subarray(0, 8 * (V - 1)) } : w)) };
  await assert.rejects(restoreRun(outOnly, CONFIG), new RegExp(`^Error: the checkpoint's weight "out.W" has shape \\[8, ${V - 1}\\] but the model needs \\[8, ${V}\\]: its vocabulary has ${V} tokens but its weights were made for ${V - 1}$`));
});

test('a vocabulary of a million tokens over small weights is refused at once, without building its model', async () => {
  const ckpt = await trainedCheckpoint();
  // As the 4-layer, 1024-unit word model its configuration names, this would take over 5 · 10^9 floats.
  const tokens = [UNKNOWN_TOKEN, ...Array.from({ length: 1_000_000 }, (_, i) => `w${i}`)];
  const huge: Checkpoint = { ...ckpt, config: { ...ckpt.config, tokens: 'word', layers: 4, hiddenSize: 1024 }, vocab: { mode: 'word', tokens } };
  const started = performance.now();
  const built = await modelsBuilt(() => assert.rejects(restoreRun(huge, configOf(huge)), /^Error: the checkpoint's weight "layer0.Wx" has shape \[\d+, 32\] but the model needs \[1000001, 4096\]$/));
  assert.equal(built, 0, 'no model was built');
  assert.ok(performance.now() - started < 2000, `refused in ${(performance.now() - started).toFixed(0)} ms`);
});

test('a configuration holding lists, objects or huge strings where settings belong is refused with a short message', async () => {
  const ckpt = await trainedCheckpoint();
  let deep: unknown = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.throws(() => configOf({ ...ckpt, config: { ...ckpt.config, cell: deep } }), /^Error: the checkpoint's configuration has a list as "cell"$/);
  assert.throws(() => configOf({ ...ckpt, config: { ...ckpt.config, hiddenSize: { value: 8 } } }), /^Error: the checkpoint's configuration has an object as "hiddenSize"$/);
  assert.throws(() => configOf({ ...ckpt, config: { ...ckpt.config, layers: null } }), /configuration is invalid: .*layers: null is not a number/);
  assert.throws(() => configOf({ ...ckpt, config: { ...ckpt.config, cell: 'x'.repeat(2 ** 20) } }), (e: Error) => {
    assert.match(e.message, /^the checkpoint's configuration is invalid: lstmLab\.train\.cell: "x+…$/);
    assert.ok(e.message.length < 300, `a message of ${e.message.length} characters`);
    return true;
  });
  // Other settings that are not plain values fall back to their defaults.
  assert.equal(configOf({ ...ckpt, config: { ...ckpt.config, learningRate: [0.1] } }).learningRate, DEFAULT_TRAIN_CONFIG.learningRate);
  // A step that is not a whole number ≥ 0 is not taken over.
  for (const step of [-5, 1.5, 1e300, '7']) {
    const restored = await restoreRun({ ...ckpt, config: { ...ckpt.config, step } }, CONFIG);
    assert.equal(restored.step, 0, String(step));
    restored.model.dispose();
  }
});

test('resuming on the same text notes nothing about the vocabulary', async () => {
  const ckpt = await trainedCheckpoint();
  const resumed = await resumeRun(ckpt, TEXT, CONFIG);
  assert.equal(resumed.step, 3);
  assert.deepEqual(resumed.notes.filter((n) => /vocabulary/.test(n)), []);
  resumed.trainer.dispose();
  resumed.run.model.dispose();
});

test('resuming on a text with characters the checkpoint does not know keeps its vocabulary and says how many are unknown', async () => {
  const ckpt = await trainedCheckpoint();
  const edited = `${TEXT.slice(0, 500)}Ζωή — 生命 — жизнь${TEXT.slice(500)}`;
  const resumed = await resumeRun(ckpt, edited, CONFIG);
  assert.deepEqual([...resumed.run.codec.vocab.tokens], ckpt.vocab.tokens, 'the checkpoint\'s vocabulary is kept');
  const trainTokens = resumed.run.train.length;
  // Every character of "Ζωή — 生命 — жизнь" but the spaces is new.
  const unknown = [...'Ζωή—生命—жизнь'].filter((ch) => !ckpt.vocab.tokens.includes(ch)).length;
  assert.deepEqual(resumed.notes.filter((n) => /vocabulary/.test(n)), [
    `${unknown} of the ${trainTokens.toLocaleString('en')} training characters (${(100 * unknown / trainTokens).toFixed(1)}%) are not in the checkpoint's vocabulary of ${ckpt.vocab.tokens.length} tokens; they are read as the unknown token.`,
  ]);
  resumed.trainer.dispose();
  resumed.run.model.dispose();
});

test('resuming on a text mostly outside the checkpoint\'s vocabulary is refused with a message that says what to do', async () => {
  const ckpt = await trainedCheckpoint();
  const other = 'Τὴν μὲν οὖν πρώτην ἡμέραν ἐν τῇ πόλει διετρίψαμεν· τῇ δ᾽ ὑστεραίᾳ ἐξήλθομεν. '.repeat(20);
  const tensors = tf.memory().numTensors;
  await assert.rejects(resumeRun(ckpt, other, CONFIG), (e: Error) => {
    assert.match(e.message, /^\d+\.\d% of this text's characters are not in the checkpoint's vocabulary of \d+ tokens, so it is not the text the model was trained on; a resumed run keeps its vocabulary: train a new model on this text instead$/);
    assert.ok(Number.parseFloat(e.message) > 100 * MAX_UNKNOWN_SHARE);
    return true;
  });
  assert.equal(tf.memory().numTensors, tensors, 'the restored model was released');
  // The model-defining settings cannot change on resume either.
  await assert.rejects(resumeRun(ckpt, TEXT, { ...CONFIG, hiddenSize: 16 }), /^Error: the checkpoint has hiddenSize 8; a resumed run cannot change it to 16$/);
});
