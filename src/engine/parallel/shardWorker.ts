/**
 * A data-parallel shard worker: keeps a replica of the model, reads the weights the coordinator
 * shares before each step, and writes its streams' gradients back into shared memory.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../backend';
import { SequenceModel } from '../model';
import { Trainer } from '../trainer';
import { DONE, FAILED, LAG_SERIES, MAX_LAGS, totalSize, type FromShard, type ShardInit, type ShardStep, type ToShard } from './shared';

const port = parentPort;
if (!port) throw new Error('the shard worker must run in a worker thread');

let shard: { init: ShardInit; model: SequenceModel; trainer: Trainer; weights: Float32Array; grads: Float32Array; losses: Float64Array; lags: Float64Array; control: Int32Array } | undefined;

async function init(m: ShardInit): Promise<void> {
  await initBackend('wasm', m.wasmDir);
  const model = SequenceModel.create(m.shape, 0);
  // Never applies a step: the coordinator owns the optimizer.
  const trainer = new Trainer(model, { optimizer: 'sgd', learningRate: 0, clipNorm: 0, batch: m.batch, shard: m.index });
  const total = totalSize(m.layout);
  shard = {
    init: m, model, trainer,
    weights: new Float32Array(m.layout.weights),
    grads: new Float32Array(m.layout.grads, (m.index - 1) * total * 4, total),
    losses: new Float64Array(m.layout.losses),
    lags: new Float64Array(m.layout.lags, (m.index - 1) * LAG_SERIES.length * MAX_LAGS * 8, LAG_SERIES.length * MAX_LAGS),
    control: new Int32Array(m.layout.control),
  };
}

function step(m: ShardStep): void {
  const s = shard!;
  let offset = 0;
  tf.tidy(() => s.model.variables.forEach((v, k) => {
    const size = s.init.layout.sizes[k];
    v.assign(tf.tensor(s.weights.subarray(offset, offset + size), v.shape));
    offset += size;
  }));
  const g = s.trainer.gradients({ x: m.x, y: m.y, resetState: m.resetState }, m.withGradByLag, m.scale);
  if (g.gradByLag) {
    // Squared, so that the coordinator adds the shards' parts of each ‖∂L/∂h_t‖ over the batch.
    const byLag = g.gradByLag;
    LAG_SERIES.forEach((name, k) => byLag[name].forEach((v, t) => { s.lags[k * MAX_LAGS + t] = v * v; }));
  }
  offset = 0;
  for (const t of g.grads) {
    s.grads.set(t.dataSync() as Float32Array, offset);
    offset += t.size;
  }
  s.losses[s.init.index - 1] = g.loss.dataSync()[0];
  s.trainer.keepState(g.finals);
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
