/**
 * Data-parallel training on the fused kernels: the batch streams are split between this thread
 * and shard workers, each with its own fused module (one core each). Before a step this thread
 * shares its weights; every thread computes its streams' gradients of the window; this thread sums
 * them (through shared memory), clips and applies one Adam step, as one fused trainer over all
 * streams would (up to float rounding and the dropout masks, which each thread draws for its own
 * streams).
 */
import { Worker } from 'node:worker_threads';
import type { Window } from '../data';
import type { SequenceModel } from '../model';
import type { StepResult, TrainerOptions } from '../trainer';
import { allocate, FAILED, shardRanges, sliceStreams, totalSize, waitForShards, wholeBatchByLag, type FromShard, type SharedLayout, type ShardInit, type ToShard } from '../parallel/shared';
import { FusedModel } from './fusedModel';
import { FusedTrainer, gradByLagOf } from './fusedTrainer';
import { FusedModule, type SimdVariant } from './module';

/** Why the streams cannot be split for the fused kernels (each part a multiple of 4), or null. */
export function fusedSplitProblem(batch: number, parts: number): string | null {
  const ranges = shardRanges(batch, parts);
  return ranges.every(([from, to]) => (to - from) % 4 === 0) ? null : `${batch} streams do not split into ${parts} parts of a multiple of 4`;
}

export class FusedParallelTrainer extends FusedTrainer {
  private readonly weights: Float32Array;
  private readonly grads: Float32Array;
  private readonly losses: Float64Array;
  private readonly lags: Float64Array;
  private readonly control: Int32Array;
  private expected = 0;
  private lastShardError: string | undefined;
  private workers: Worker[] = [];
  private ranges: [number, number][] = [];
  private fullBatch = 0;
  private layout!: SharedLayout;
  /** A model over all streams, for validation. */
  private whole: FusedModel | undefined;

  /**
   * This thread's fused trainer over the first part of the streams and `parts − 1` shard workers
   * (script `shardScript`) over the rest; resolves when every worker has its model.
   */
  static async createParallel(model: SequenceModel, options: TrainerOptions, steps: number, parts: number, shardScript: string, wasmDir: string, variant?: SimdVariant): Promise<FusedParallelTrainer> {
    const problem = parts >= 2 && parts <= options.batch ? fusedSplitProblem(options.batch, parts) : `${parts} parts`;
    if (problem) throw new Error(`fused data-parallel training cannot run: ${problem}`);
    const ranges = shardRanges(options.batch, parts);
    const mod = await FusedModule.load(wasmDir, variant);
    const { vocabSize: vocab, hiddenSize: hidden, cell, layers, dropout } = model.shape;
    const own = new FusedModel(mod, { cell, layers, vocab, hidden, batch: ranges[0][1] - ranges[0][0], steps, dropout });
    const layout = allocate(own.parameters().map((p) => [p.p.length]), parts - 1);
    const trainer = new FusedParallelTrainer(model, { ...options, batch: ranges[0][1] - ranges[0][0] }, own, layout);
    trainer.fullBatch = options.batch;
    trainer.ranges = ranges;
    try {
      await Promise.all(ranges.slice(1).map((r, k) => {
        const w = new Worker(shardScript);
        trainer.workers.push(w);
        w.on('message', (m: FromShard) => { if (m.type === 'error') trainer.lastShardError = m.message; });
        const init: ShardInit = { type: 'init', index: k + 1, wasmDir, shape: model.shape, batch: r[1] - r[0], layout, fused: { steps, variant: mod.variant } };
        return new Promise<void>((resolve, reject) => {
          w.once('message', (m: FromShard) => (m.type === 'ready' ? resolve() : reject(new Error(`shard worker ${k + 1}: ${m.message}`))));
          w.once('error', reject);
          w.postMessage(init satisfies ToShard);
        });
      }));
    } catch (e) {
      trainer.dispose();
      throw e;
    }
    return trainer;
  }

  private constructor(model: SequenceModel, options: TrainerOptions, fused: FusedModel, layout: SharedLayout) {
    super(model, options, fused);
    this.layout = layout;
    this.weights = new Float32Array(layout.weights);
    this.grads = new Float32Array(layout.grads);
    this.losses = new Float64Array(layout.losses);
    this.lags = new Float64Array(layout.lags);
    this.control = new Int32Array(layout.control);
  }

  /** Threads training, this one included. */
  get parts(): number {
    return this.ranges.length;
  }

  override step(window: Window, withGradByLag = false): StepResult {
    const B = this.fullBatch;
    if (window.resetState) this.fused.resetState();
    const params = this.fused.parameters();
    let offset = 0;
    for (const p of params) {
      this.weights.set(p.p, offset);
      offset += p.p.length;
    }
    Atomics.store(this.control, FAILED, 0);
    this.expected += this.workers.length;
    const seed = ++this.stepCount * 64;
    this.ranges.slice(1).forEach(([from, to], k) => {
      this.workers[k].postMessage({
        type: 'step', x: sliceStreams(window.x, B, from, to), y: sliceStreams(window.y, B, from, to), resetState: window.resetState, scale: (to - from) / B, withGradByLag, dropoutSeed: seed + k + 1,
      } satisfies ToShard);
    });
    const [from, to] = this.ranges[0];
    const ownScale = (to - from) / B;
    const { loss: ownLoss, T } = this.fused.gradients(sliceStreams(window.x, B, from, to), sliceStreams(window.y, B, from, to), withGradByLag, seed);
    waitForShards(this.control, this.expected, this.lastShardError);
    // The whole batch's mean loss is the shards' means weighted by their share of the streams.
    const total = totalSize(this.layout);
    offset = 0;
    for (const g of this.fused.gradientViews()) {
      for (let i = 0; i < g.length; i++) {
        let sum = g[i] * ownScale;
        for (let h = 0; h < this.workers.length; h++) sum += this.grads[h * total + offset + i];
        g[i] = sum;
      }
      offset += g.length;
    }
    let loss = ownLoss * ownScale;
    for (let h = 0; h < this.workers.length; h++) loss += this.losses[h];
    const { learningRate, clipNorm } = this.options;
    const r = this.fused.apply(loss, T, { learningRate, clipNorm });
    const result: StepResult = { loss: r.loss, gradNorm: r.gradNorm, clipped: r.clipped, finite: r.finite };
    if (withGradByLag) result.gradByLag = wholeBatchByLag(gradByLagOf(this.fused, T), this.lags, this.workers.length, ownScale);
    if (r.finite) this.pullWeights();
    return result;
  }

  /**
   * Validation reads the text as all of the run's streams, as one trainer would (the loss depends
   * on how the text is cut into streams), on a second fused model in this thread's module.
   */
  override async evaluate(ids: Int32Array, steps: number, between: () => Promise<void>, maxTokens = 65536): Promise<number | null> {
    this.whole ??= new FusedModel(this.fused.mod, { ...this.fused.shape, batch: this.fullBatch, dropout: 0 });
    const from = this.fused.parameters();
    this.whole.parameters().forEach((p, k) => p.p.set(from[k].p));
    return this.evaluateOn(this.whole, ids, steps, between, maxTokens);
  }

  override dispose(): void {
    super.dispose();
    for (const w of this.workers) void w.terminate();
  }
}
