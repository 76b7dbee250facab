import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { StreamBatcher } from '../../src/engine/data';
import { DEFAULT_TRAIN_CONFIG } from '../../src/protocol/runConfig';
import { buildCodec } from '../../src/engine/codec';
import { nextDistribution, sampleIds } from '../../src/engine/infer';
import { SequenceModel } from '../../src/engine/model';
import { prepareRun, trainLoop } from '../../src/engine/run';
import { evaluate, evaluateYielding, globalNorm, Trainer } from '../../src/engine/trainer';
import { useWasm } from './helpers/backend';

before(useWasm);

const periodic = 'abcabcabcabc'.repeat(200);

test('loss falls and the model learns a periodic text', async () => {
  const config = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 16, batchSize: 8, seqLength: 16, maxSeconds: 0, maxSteps: 150, learningRate: 1e-2, valEvery: 1000, sampleEvery: 0 };
  const run = prepareRun(periodic, config);
  const losses: number[] = [];
  const summary = await trainLoop(run, config, { onStep: (s) => losses.push(s.loss) });
  summary.trainer.dispose();
  assert.equal(summary.reason, 'completed');
  assert.equal(summary.steps, 150);
  assert.ok(losses[0] > 1.0, `initial loss ${losses[0]} is about ln(4)`);
  assert.ok(losses[149] < 0.1, `final loss ${losses[149]}`);
  const { codec } = run;
  const p = nextDistribution(run.model, codec.encode('abcab'));
  assert.ok(p[codec.vocab.idOf('c')] > 0.9, `p(c | …ab) = ${p[codec.vocab.idOf('c')]}`);
  const text = codec.decode(sampleIds(run.model, codec.vocab, { length: 30, temperature: 0.5, seed: 1, prime: codec.encode('a') }));
  assert.match(text, /^(bca)+b/);
  const greedy = codec.decode(sampleIds(run.model, codec.vocab, { length: 10, temperature: 1, seed: 2, prime: codec.encode('ab'), argmax: true, stopId: codec.vocab.idOf('a') }));
  assert.equal(greedy, 'ca', 'argmax continues the pattern and stops after the stop token');
  run.model.dispose();
});

test('same seed, same run', async () => {
  const config = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 8, batchSize: 4, seqLength: 8, maxSeconds: 0, maxSteps: 5, valEvery: 1000, sampleEvery: 0 };
  const losses = async () => {
    const run = prepareRun(periodic, config);
    const out: number[] = [];
    (await trainLoop(run, config, { onStep: (s) => out.push(s.loss) })).trainer.dispose();
    run.model.dispose();
    return out;
  };
  assert.deepEqual(await losses(), await losses());
});

test('a non-finite step is not applied and the weights stay as they were', () => {
  const codec = buildCodec('char', periodic);
  const model = SequenceModel.create({ cell: 'lstm', layers: 1, vocabSize: codec.vocab.size, hiddenSize: 8, dropout: 0 }, 1);
  const trainer = new Trainer(model, { optimizer: 'adam', learningRate: 1e-2, clipNorm: 5, batch: 4 });
  const batcher = new StreamBatcher(codec.encode(periodic), 4, 8);
  assert.equal(trainer.step(batcher.next()).finite, true);
  model.by.assign(tf.tensor1d([NaN, 0, 0, 0]));
  const before = model.layers[0].Wh.dataSync().slice();
  const r = trainer.step(batcher.next());
  assert.equal(r.finite, false);
  assert.ok(Number.isNaN(r.loss));
  assert.deepEqual(model.layers[0].Wh.dataSync(), before);
  trainer.dispose();
  model.dispose();
});

test('a diverging run stops with a message instead of training on NaN', async () => {
  const config = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 8, batchSize: 4, seqLength: 8, maxSeconds: 0, maxSteps: 50, valEvery: 1000, sampleEvery: 0 };
  const run = prepareRun(periodic, config);
  run.model.Wy.assign(tf.fill([8, run.codec.vocab.size], Infinity) as tf.Tensor2D);
  const summary = await trainLoop(run, config);
  summary.trainer.dispose();
  assert.equal(summary.reason, 'diverged');
  assert.equal(summary.steps, 0);
  assert.match(summary.message!, /NaN|infinite/);
  run.model.dispose();
});

test('clipping bounds the applied update: with SGD the weights move by exactly lr × clip, and by lr × ‖g‖ without clipping', () => {
  const codec = buildCodec('char', periodic);
  const window = () => new StreamBatcher(codec.encode(periodic), 4, 8).next();
  const moved = (clipNorm: number, learningRate: number) => {
    const model = SequenceModel.create({ cell: 'lstm', layers: 1, vocabSize: codec.vocab.size, hiddenSize: 8, dropout: 0 }, 2);
    const before = model.named.map((n) => Float32Array.from(n.variable.dataSync()));
    const trainer = new Trainer(model, { optimizer: 'sgd', learningRate, clipNorm, batch: 4 });
    const r = trainer.step(window());
    let sq = 0;
    model.named.forEach((n, k) => n.variable.dataSync().forEach((w, i) => { sq += (w - before[k][i]) ** 2; }));
    trainer.dispose();
    model.dispose();
    return { r, update: Math.sqrt(sq) };
  };
  const clipped = moved(1e-3, 100);
  assert.equal(clipped.r.clipped, true);
  assert.ok(clipped.r.gradNorm > 1e-3, `the raw norm ${clipped.r.gradNorm} is reported`);
  assert.ok(Math.abs(clipped.update - 100 * 1e-3) < 1e-3 * 0.1, `update ${clipped.update}, expected 0.1`);
  const free = moved(0, 1);
  assert.equal(free.r.clipped, false);
  assert.ok(Math.abs(free.update - free.r.gradNorm) < 1e-3 * free.r.gradNorm, `update ${free.update}, gradient norm ${free.r.gradNorm}`);
});

test('the global gradient norm of large but finite gradients is finite; NaN anywhere makes it non-finite', () => {
  const norm = (arrays: number[][]) => tf.tidy(() => globalNorm(arrays.map((a) => tf.tensor1d(a))).dataSync()[0]);
  const big = norm([[3e20], [4e20, 0]]);
  assert.ok(Math.abs(big - 5e20) < 1e-5 * 5e20, `‖(3e20, 4e20)‖ = ${big}`);
  assert.ok(Math.abs(norm([[3, 0], [4]]) - 5) < 1e-6);
  assert.equal(norm([[0, 0], [0]]), 0);
  assert.ok(Number.isNaN(norm([[1, NaN], [2]])));
  assert.ok(!Number.isFinite(norm([[1, Infinity]])));
});

test('no tensors leak over 1,000 training steps (validation, samples and gradient-by-lag included)', async () => {
  for (const cell of ['lstm', 'gru'] as const) {
    const config = { ...DEFAULT_TRAIN_CONFIG, cell, layers: 2, hiddenSize: 8, batchSize: 2, seqLength: 4, maxSeconds: 0, maxSteps: 1000, valEvery: 100, sampleEvery: 250, gradEvery: 10 };
    const run = prepareRun(periodic, config);
    const counts: number[] = [];
    let lags = 0;
    const summary = await trainLoop(run, config, { onStep: () => counts.push(tf.memory().numTensors), onSample: () => {}, onGradByLag: () => { lags++; } });
    assert.equal(summary.steps, 1000);
    assert.equal(lags, 100);
    assert.equal(counts[999], counts[9], `${cell}: tensors at steps 10, 100, 500, 1000: ${[9, 99, 499, 999].map((k) => counts[k]).join(', ')}`);
    summary.trainer.dispose();
    const beforeDispose = tf.memory().numTensors;
    const params = run.model.variables.length;
    run.model.dispose();
    assert.equal(tf.memory().numTensors, beforeDispose - params);
  }
});

test('validation lets other work run between its windows, with the same loss as in one go', async () => {
  const codec = buildCodec('char', 'to be or not to be, that is the question. '.repeat(40));
  const ids = codec.encode('to be or not to be, that is the question. '.repeat(40));
  const model = SequenceModel.create({ cell: 'lstm', layers: 1, hiddenSize: 8, vocabSize: codec.vocab.size, dropout: 0 }, 2);
  const tensors = tf.memory().numTensors;
  let between = 0;
  const yielding = await evaluateYielding(model, ids, 4, 16, async () => { between++; });
  const direct = evaluate(model, ids, 4, 16);
  assert.ok(direct !== null && yielding !== null && Math.abs(direct - yielding) < 1e-6, `${yielding} vs ${direct}`);
  // 1,680 tokens in 4 streams of 419: 27 windows of 16, so 26 pauses between them.
  assert.equal(between, Math.ceil(Math.floor((ids.length - 1) / 4) / 16) - 1);
  assert.equal(tf.memory().numTensors, tensors, 'no tensors left behind');
  model.dispose();
});

test('a stop asked for during validation ends it there: no validation result, no final validation, no tensors left behind', async () => {
  for (const kernels of ['tfjs', 'fused'] as const) {
    const text = 'a stop in the middle of a long validation. '.repeat(400);
    const config = { ...DEFAULT_TRAIN_CONFIG, kernels, hiddenSize: 16, batchSize: 4, seqLength: 8, valFraction: 0.3, maxSteps: 5, maxSeconds: 0, valEvery: 1, sampleEvery: 0, gradEvery: 0 };
    const run = prepareRun(text, config);
    const { startTrainer } = await import('../../src/engine/parallel/startTrainer');
    const { findBundle, findWasmDir } = await import('../../src/engine/backend');
    const trainer = await startTrainer(run, config, { shardScript: findBundle(__dirname, 'shardWorker.js'), wasmDir: findWasmDir(__dirname) });
    let before = -1;
    let stop = false;
    const vals: number[] = [];
    // The stop comes once the first step is done, i.e. while its validation runs.
    const summary = await trainLoop(run, config, {
      onStep: () => { stop = true; before = tf.memory().numTensors; }, onVal: (_s, loss) => vals.push(loss), shouldStop: () => stop,
    }, { trainer });
    assert.equal(summary.reason, 'stopped', kernels);
    assert.equal(summary.steps, 1, kernels);
    assert.deepEqual(vals, [], `${kernels}: the interrupted validation reports nothing`);
    assert.equal(summary.valLoss, null, kernels);
    assert.equal(tf.memory().numTensors, before, `${kernels}: no tensors left by the interrupted validation`);
    trainer.dispose();
    run.model.dispose();
  }
});
