/**
 * A data-parallel shard worker: keeps a replica of the model (tfjs, or the fused kernels'), reads
 * the weights the coordinator shares before each step, and writes its streams' gradients back into
 * shared memory.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../backend';
import { SequenceModel } from '../model';
import { Trainer, type GradByLag } from '../trainer';
import { FusedModel } from '../fused/fusedModel';
import { gradByLagOf } from '../fused/fusedTrainer';
import { FusedModule } from '../fused/module';
import { DONE, FAILED, LAG_SERIES, MAX_LAGS, totalSize, type FromShard, type ShardInit, type ShardStep, type ToShard } from './shared';

const port = parentPort;
if (!port) throw new Error('the shard worker must run in a worker thread');

/** The shard's copy of the model: tfjs (with a trainer that never applies a step) or fused. */
type Replica = { kind: 'tfjs'; model: SequenceModel; trainer: Trainer } | { kind: 'fused'; model: FusedModel };

let shard: { init: ShardInit; replica: Replica; weights: Float32Array; grads: Float32Array; losses: Float64Array; lags: Float64Array; control: Int32Array } | undefined;

async function replicaFor(m: ShardInit): Promise<Replica> {
  if (m.fused) {
    const { vocabSize: vocab, hiddenSize: hidden, cell, layers, dropout } = m.shape;
    const model = new FusedModel(await FusedModule.load(m.wasmDir, m.fused.variant), { cell, layers, vocab, hidden, batch: m.batch, steps: m.fused.steps, dropout });
    const sizes = model.parameters().map((p) => p.p.length);
    if (sizes.join() !== m.layout.sizes.join()) throw new Error(`the shared parameters (${m.layout.sizes.join(', ')}) are not this model's (${sizes.join(', ')})`);
    return { kind: 'fused', model };
  }
  await initBackend('wasm', m.wasmDir);
  const model = SequenceModel.create(m.shape, 0);
  // Never applies a step: the coordinator owns the optimizer.
  return { kind: 'tfjs', model, trainer: new Trainer(model, { optimizer: 'sgd', learningRate: 0, clipNorm: 0, batch: m.batch, shard: m.index }) };
}

async function init(m: ShardInit): Promise<void> {
  const replica = await replicaFor(m);
  const total = totalSize(m.layout);
  shard = {
    init: m, replica,
    weights: new Float32Array(m.layout.weights),
    grads: new Float32Array(m.layout.grads, (m.index - 1) * total * 4, total),
    losses: new Float64Array(m.layout.losses),
    lags: new Float64Array(m.layout.lags, (m.index - 1) * LAG_SERIES.length * MAX_LAGS * 8, LAG_SERIES.length * MAX_LAGS),
    control: new Int32Array(m.layout.control),
  };
}

/** Squared, so that the coordinator adds the shards' parts of each ‖∂L/∂h_t‖ over the batch. */
function shareLags(s: NonNullable<typeof shard>, byLag: GradByLag, scale: number): void {
  LAG_SERIES.forEach((name, k) => byLag[name].forEach((v, t) => { s.lags[k * MAX_LAGS + t] = (v * scale) ** 2; }));
}

function fusedStep(s: NonNullable<typeof shard>, model: FusedModel, m: ShardStep): void {
  let offset = 0;
  for (const p of model.parameters()) {
    p.p.set(s.weights.subarray(offset, offset + p.p.length));
    offset += p.p.length;
  }
  if (m.resetState) model.resetState();
  const { loss, T } = model.gradients(m.x, m.y, m.withGradByLag, m.dropoutSeed ?? 0);
  if (m.withGradByLag) shareLags(s, gradByLagOf(model, T), m.scale);
  offset = 0;
  for (const g of model.gradientViews()) {
    for (let i = 0; i < g.length; i++) s.grads[offset + i] = g[i] * m.scale;
    offset += g.length;
  }
  s.losses[s.init.index - 1] = loss * m.scale;
  model.carryState(T);
}

function step(m: ShardStep): void {
  const s = shard!;
  if (s.replica.kind === 'fused') {
    fusedStep(s, s.replica.model, m);
    return;
  }
  const r = s.replica;
  let offset = 0;
  tf.tidy(() => r.model.variables.forEach((v, k) => {
    const size = s.init.layout.sizes[k];
    v.assign(tf.tensor(s.weights.subarray(offset, offset + size), v.shape));
    offset += size;
  }));
  const g = r.trainer.gradients({ x: m.x, y: m.y, resetState: m.resetState }, m.withGradByLag, m.scale);
  // The tfjs gradients are of the scaled loss already.
  if (g.gradByLag) shareLags(s, g.gradByLag, 1);
  offset = 0;
  for (const t of g.grads) {
    s.grads.set(t.dataSync() as Float32Array, offset);
    offset += t.size;
  }
  s.losses[s.init.index - 1] = g.loss.dataSync()[0];
  r.trainer.keepState(g.finals);
  tf.dispose([g.loss, ...g.grads]);
}

port.on('message', (m: ToShard) => {
  const reply = (r: FromShard) => port.postMessage(r);
  if (m.type === 'init') {
    init(m).then(() => reply({ type: 'ready' }), (e: unknown) => reply({ type: 'error', message: String(e) }));
    return;
  }
  try {
    step(m);
  } catch (e) {
    if (shard) Atomics.store(shard.control, FAILED, 1);
    reply({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  } finally {
    if (shard) {
      Atomics.add(shard.control, DONE, 1);
      Atomics.notify(shard.control, DONE);
    }
  }
});
