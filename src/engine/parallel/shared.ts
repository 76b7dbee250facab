/**
 * Memory shared between a data-parallel coordinator and its shard workers: the weights (written by
 * the coordinator before each step), one gradient area, one loss and one area of squared
 * gradient-by-lag norms per shard worker, and a control word the workers count up when their
 * gradients are ready.
 */
import type { ModelShape } from '../model';
import type { SimdVariant } from '../fused/module';
import type { GradByLag } from '../trainer';

/** Control words. */
export const DONE = 0;
export const FAILED = 1;
const CONTROL_WORDS = 2;
/** Longest window whose gradient by lag a shard can report (the sequence-length setting's maximum). */
export const MAX_LAGS = 512;
/** The four gradient-by-lag series, in the order of their slots: h, c, hTotal, cTotal. */
export const LAG_SERIES = ['h', 'c', 'hTotal', 'cTotal'] as const;

export interface SharedLayout {
  /** Parameter sizes in `model.variables` order. */
  sizes: number[];
  shapes: number[][];
  helpers: number;
  weights: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  losses: SharedArrayBuffer;
  /** Per shard worker, per series of LAG_SERIES: MAX_LAGS squared norms (float64). */
  lags: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

export function allocate(shapes: number[][], helpers: number): SharedLayout {
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a + b, 0);
  return {
    sizes,
    shapes,
    helpers,
    weights: new SharedArrayBuffer(total * 4),
    grads: new SharedArrayBuffer(total * 4 * helpers),
    losses: new SharedArrayBuffer(8 * helpers),
    lags: new SharedArrayBuffer(8 * helpers * LAG_SERIES.length * MAX_LAGS),
    control: new SharedArrayBuffer(4 * CONTROL_WORDS),
  };
}

export function totalSize(layout: SharedLayout): number {
  return layout.sizes.reduce((a, b) => a + b, 0);
}

/** Sent once to each shard worker. */
export interface ShardInit {
  type: 'init';
  index: number;
  wasmDir: string;
  shape: ModelShape;
  /** Streams in this shard. */
  batch: number;
  layout: SharedLayout;
  /**
   * Set for shards of a fused trainer: the longest window and the WebAssembly build to run. The
   * layout then holds the fused model's parameter buffers (W_y padded) instead of tfjs's variables.
   */
  fused?: { steps: number; variant: SimdVariant };
}

/** One window for a shard: its streams' inputs and targets, and its share of the batch. */
export interface ShardStep {
  type: 'step';
  x: Int32Array;
  y: Int32Array;
  resetState: boolean;
  scale: number;
  /** Also write the squared gradient norms by lag of this shard's streams. */
  withGradByLag: boolean;
  /** Fused shards: the seed of this step's dropout masks (tfjs shards count their own). */
  dropoutSeed?: number;
}

export type ToShard = ShardInit | ShardStep;

export type FromShard = { type: 'ready' } | { type: 'error'; message: string };

/** Splits B streams into `parts` contiguous shards, as even as possible: [from, to) per shard. */
export function shardRanges(batch: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  let from = 0;
  for (let k = 0; k < parts; k++) {
    const size = Math.floor(batch / parts) + (k < batch % parts ? 1 : 0);
    out.push([from, from + size]);
    from += size;
  }
  return out;
}

/** The columns [from, to) of a time-major window x[t * B + b]. */
export function sliceStreams(x: Int32Array, batch: number, from: number, to: number): Int32Array {
  const T = x.length / batch;
  const width = to - from;
  const out = new Int32Array(T * width);
  for (let t = 0; t < T; t++) out.set(x.subarray(t * batch + from, t * batch + to), t * width);
  return out;
}

/** How long to wait for a shard's gradients before declaring it lost. */
const SHARD_TIMEOUT_MS = 120_000;

/**
 * Blocks until the shard workers have counted `expected` steps done in `control`; throws when one
 * stops answering or reported a failure (`lastError`, the message it sent, if any).
 */
export function waitForShards(control: Int32Array, expected: number, lastError: string | undefined): void {
  const deadline = Date.now() + SHARD_TIMEOUT_MS;
  for (;;) {
    const done = Atomics.load(control, DONE);
    if (done >= expected) break;
    if (Date.now() > deadline) throw new Error('a data-parallel shard worker stopped answering');
    Atomics.wait(control, DONE, done, 1000);
  }
  if (Atomics.load(control, FAILED) !== 0) {
    throw new Error(`a data-parallel shard worker failed to compute its gradients${lastError ? `: ${lastError}` : ''}`);
  }
}

/**
 * The gradient norms by lag over the whole batch: each shard holds its own rows of ∂L/∂h_t, so the
 * squared norms add up. `own` is this thread's series (times `scale`, its share of the loss);
 * `lags` the shard workers' squared ones.
 */
export function wholeBatchByLag(own: GradByLag, lags: Float64Array, helpers: number, scale = 1): GradByLag {
  const whole = (name: (typeof LAG_SERIES)[number], k: number) => own[name].map((v, t) => {
    let sq = (v * scale) ** 2;
    for (let h = 0; h < helpers; h++) sq += lags[(h * LAG_SERIES.length + k) * MAX_LAGS + t];
    return Math.sqrt(sq);
  });
  return { h: whole('h', 0), c: whole('c', 1), hTotal: whole('hTotal', 2), cTotal: whole('cTotal', 3) };
}
