import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { StreamBatcher } from '../../src/engine/data';
import { DEFAULT_TRAIN_CONFIG } from '../../src/engine/defaults';
import { nextDistribution, sample } from '../../src/engine/infer';
import { CharModel } from '../../src/engine/model';
import { prepareRun, trainLoop } from '../../src/engine/run';
import { buildCharVocabulary, encode } from '../../src/engine/tokens';
import { Trainer } from '../../src/engine/trainer';
import { useWasm } from './helpers/backend';

before(useWasm);

const periodic = 'abcabcabcabc'.repeat(200);

test('loss falls and the model learns a periodic text', async () => {
  const config = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 16, batchSize: 8, seqLength: 16, maxSeconds: 0, maxSteps: 150, learningRate: 1e-2, valEvery: 1000, sampleEvery: 0 };
  const run = prepareRun(periodic, config);
  const losses: number[] = [];
  const summary = await trainLoop(run, config, { onStep: (s) => losses.push(s.loss) });
  assert.equal(summary.reason, 'completed');
  assert.equal(summary.steps, 150);
  assert.ok(losses[0] > 1.0, `initial loss ${losses[0]} is about ln(4)`);
  assert.ok(losses[149] < 0.1, `final loss ${losses[149]}`);
  const p = nextDistribution(run.model, encode('abcab', run.vocab));
  assert.ok(p[run.vocab.idOf('c')] > 0.9, `p(c | …ab) = ${p[run.vocab.idOf('c')]}`);
  assert.match(sample(run.model, run.vocab, { length: 30, temperature: 0.5, seed: 1, prime: 'a' }), /^(bca)+b/);
  run.model.dispose();
});

test('same seed, same run', async () => {
  const config = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 8, batchSize: 4, seqLength: 8, maxSeconds: 0, maxSteps: 5, valEvery: 1000, sampleEvery: 0 };
  const losses = async () => {
    const run = prepareRun(periodic, config);
    const out: number[] = [];
    await trainLoop(run, config, { onStep: (s) => out.push(s.loss) });
    run.model.dispose();
    return out;
  };
  assert.deepEqual(await losses(), await losses());
});

test('a non-finite step is not applied and the weights stay as they were', () => {
  const vocab = buildCharVocabulary(periodic);
  const model = CharModel.create({ vocabSize: vocab.size, hiddenSize: 8 }, 1);
  const trainer = new Trainer(model, { learningRate: 1e-2, clipNorm: 5, batch: 4 });
  const batcher = new StreamBatcher(encode(periodic, vocab), 4, 8);
  assert.equal(trainer.step(batcher.next()).finite, true);
  model.params.by.assign(tf.tensor1d([NaN, 0, 0, 0]));
  const before = model.params.Wh.dataSync().slice();
  const r = trainer.step(batcher.next());
  assert.equal(r.finite, false);
  assert.ok(Number.isNaN(r.loss));
  assert.deepEqual(model.params.Wh.dataSync(), before);
  trainer.dispose();
  model.dispose();
});

test('a diverging run stops with a message instead of training on NaN', async () => {
  const config = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 8, batchSize: 4, seqLength: 8, maxSeconds: 0, maxSteps: 50, valEvery: 1000, sampleEvery: 0 };
  const run = prepareRun(periodic, config);
  run.model.params.Wy.assign(tf.fill([8, run.vocab.size], Infinity) as tf.Tensor2D);
  const summary = await trainLoop(run, config);
  assert.equal(summary.reason, 'diverged');
  assert.equal(summary.steps, 0);
  assert.match(summary.message!, /NaN|infinite/);
  run.model.dispose();
});

test('clipping bounds the applied update and reports the raw norm', () => {
  const vocab = buildCharVocabulary(periodic);
  const model = CharModel.create({ vocabSize: vocab.size, hiddenSize: 8 }, 2);
  const trainer = new Trainer(model, { learningRate: 1e-2, clipNorm: 1e-3, batch: 4 });
  const r = trainer.step(new StreamBatcher(encode(periodic, vocab), 4, 8).next());
  assert.equal(r.clipped, true);
  assert.ok(r.gradNorm > 1e-3);
  trainer.dispose();
  model.dispose();
});

test('no tensors leak over many training steps', async () => {
  const config = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 8, batchSize: 4, seqLength: 8, maxSeconds: 0, maxSteps: 20, valEvery: 7, sampleEvery: 9 };
  const run = prepareRun(periodic, config);
  const counts: number[] = [];
  await trainLoop(run, config, { onStep: () => counts.push(tf.memory().numTensors), onSample: () => {} });
  assert.equal(counts[19], counts[4], `tensors: ${counts.join(',')}`);
  const beforeDispose = tf.memory().numTensors;
  run.model.dispose();
  assert.equal(tf.memory().numTensors, beforeDispose - 5);
});
