/**
 * Data-parallel training over the batch streams: tfjs's wasm backend uses one core per thread, so
 * shard workers compute the gradients of their streams in parallel with this thread's own shard.
 * This thread then sums them (through shared memory), clips and applies one optimizer step, as a
 * single trainer over all streams would (up to float rounding).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Worker } from 'node:worker_threads';
import type { Window } from '../data';
import type { SequenceModel } from '../model';
import { evaluateYielding, Trainer, type StepResult, type TrainerOptions } from '../trainer';
import { allocate, FAILED, shardRanges, sliceStreams, totalSize, waitForShards, wholeBatchByLag, type FromShard, type SharedLayout, type ShardInit, type ToShard } from './shared';

export class ParallelTrainer extends Trainer {
  private readonly weights: Float32Array;
  private readonly grads: Float32Array;
  private readonly losses: Float64Array;
  private readonly lags: Float64Array;
  private readonly control: Int32Array;
  private expected = 0;
  /** The last error a shard reported (messages arrive between steps). */
  private lastShardError: string | undefined;

  private constructor(model: SequenceModel, options: TrainerOptions, private readonly fullBatch: number, private readonly ranges: [number, number][], private readonly workers: Worker[], private readonly layout: SharedLayout) {
    super(model, { ...options, batch: ranges[0][1] - ranges[0][0] });
    for (const w of workers) w.on('message', (m: FromShard) => { if (m.type === 'error') this.lastShardError = m.message; });
    this.weights = new Float32Array(layout.weights);
    this.grads = new Float32Array(layout.grads);
    this.losses = new Float64Array(layout.losses);
    this.lags = new Float64Array(layout.lags);
    this.control = new Int32Array(layout.control);
  }

  /**
   * Starts `parts − 1` shard workers (script `shardScript`) and waits until each has its model.
   * Every shard needs at least one stream.
   */
  static async create(model: SequenceModel, options: TrainerOptions, parts: number, shardScript: string, wasmDir: string): Promise<ParallelTrainer> {
    if (parts < 2 || parts > options.batch) throw new Error(`data-parallel training needs 2 to ${options.batch} parts (one stream each at least), got ${parts}`);
    const ranges = shardRanges(options.batch, parts);
    const layout = allocate(model.variables.map((v) => v.shape.slice()), parts - 1);
    const workers: Worker[] = [];
    try {
      await Promise.all(ranges.slice(1).map((r, k) => {
        const w = new Worker(shardScript);
        workers.push(w);
        const init: ShardInit = { type: 'init', index: k + 1, wasmDir, shape: model.shape, batch: r[1] - r[0], layout };
        return new Promise<void>((resolve, reject) => {
          w.once('message', (m: FromShard) => (m.type === 'ready' ? resolve() : reject(new Error(`shard worker ${k + 1}: ${m.message}`))));
          w.once('error', reject);
          w.postMessage(init satisfies ToShard);
        });
      }));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new ParallelTrainer(model, options, options.batch, ranges, workers, layout);
  }

  override step(window: Window, withGradByLag = false): StepResult {
    const B = this.fullBatch;
    this.shareWeights();
    Atomics.store(this.control, FAILED, 0);
    this.expected += this.workers.length;
    this.ranges.slice(1).forEach(([from, to], k) => {
      this.workers[k].postMessage({
        type: 'step', x: sliceStreams(window.x, B, from, to), y: sliceStreams(window.y, B, from, to), resetState: window.resetState, scale: (to - from) / B, withGradByLag,
      } satisfies ToShard);
    });
    const [from, to] = this.ranges[0];
    const own = this.gradients({ x: sliceStreams(window.x, B, from, to), y: sliceStreams(window.y, B, from, to), resetState: window.resetState }, withGradByLag, (to - from) / B);
    try {
      waitForShards(this.control, this.expected, this.lastShardError);
    } catch (e) {
      tf.dispose([own.loss, ...own.grads, ...own.finals.flatMap((f) => (f.c ? [f.h, f.c] : [f.h]))]);
      throw e;
    }
    // Sum the shards' gradients into this thread's, parameter by parameter.
    const total = totalSize(this.layout);
    let offset = 0;
    const grads = own.grads.map((g, k) => {
      const sum = Float32Array.from(g.dataSync());
      for (let h = 0; h < this.workers.length; h++) {
        const base = h * total + offset;
        for (let i = 0; i < sum.length; i++) sum[i] += this.grads[base + i];
      }
      offset += this.layout.sizes[k];
      g.dispose();
      return tf.tensor(sum, g.shape);
    });
    let loss = own.loss.dataSync()[0];
    for (let h = 0; h < this.workers.length; h++) loss += this.losses[h];
    own.loss.dispose();
    return this.apply({ ...own, loss: tf.scalar(loss), grads, gradByLag: own.gradByLag && wholeBatchByLag(own.gradByLag, this.lags, this.workers.length) });
  }

  /** Validation reads the text as all of the run's streams, as one trainer would. */
  override async evaluate(ids: Int32Array, steps: number, between: () => Promise<void>, maxTokens?: number): Promise<number | null> {
    return evaluateYielding(this.model, ids, this.fullBatch, steps, between, maxTokens);
  }

  private shareWeights(): void {
    let offset = 0;
    for (const v of this.model.variables) {
      this.weights.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
  }

  override dispose(): void {
    super.dispose();
    for (const w of this.workers) void w.terminate();
  }
}
