/**
 * One optimisation step at a time: stateful truncated BPTT, Adam / RMSProp / SGD, clipping by
 * global norm (optional), and a refusal to apply a non-finite step.
 */
import * as tf from '@tensorflow/tfjs-core';

/** One optimizer slot as tfjs optimizers name them (`iter`, `<variable>/m`, …). */
export interface NamedTensor { name: string; tensor: tf.Tensor }
import type { OptimizerChoice } from '../protocol/runConfig';
import type { CellState } from './cells/cell';
import type { Window } from './data';
import type { LayerAux } from './layer';
import { crossEntropy, disposeStates, type SequenceModel } from './model';

export function makeOptimizer(name: OptimizerChoice, learningRate: number): tf.Optimizer {
  switch (name) {
    case 'adam': return tf.train.adam(learningRate);
    case 'rmsprop': return tf.train.rmsprop(learningRate, 0.9);
    case 'sgd': return tf.train.sgd(learningRate);
  }
}

/** Gradient norms by lag for the top layer: index 0 is the window's last time step. */
export interface GradByLag {
  /** ‖∂ℓ_T/∂h_{T−k}‖: the last step's loss reaching k steps back */ h: number[];
  /** ‖∂ℓ_T/∂c_{T−k}‖, empty without a cell state */ c: number[];
  /** ‖∂L/∂h_{T−k}‖ of the whole window's loss */ hTotal: number[];
  /** ‖∂L/∂c_{T−k}‖ of the whole window's loss */ cTotal: number[];
}

export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipped: boolean;
  /** False when the loss or the gradients were NaN/Inf: nothing was applied. */
  finite: boolean;
  gradByLag?: GradByLag;
}

/** What one window's backward pass produced; `apply` consumes (disposes) it. */
export interface WindowGradients {
  /** Scalar loss. */ loss: tf.Scalar;
  /** Gradients in `model.variables` order. */ grads: tf.Tensor[];
  /** Final state per layer, carried into the next window if the step is applied. */ finals: CellState[];
  gradByLag?: GradByLag;
}

export interface TrainerOptions {
  /** Distinguishes the dropout masks of data-parallel shards (0 for a single trainer). */
  shard?: number;
  optimizer: OptimizerChoice;
  learningRate: number;
  /** 0 turns clipping off. */
  clipNorm: number;
  batch: number;
}

/**
 * ‖g‖ over all tensors, computed on values divided by the largest |g| so that gradients of 1e20
 * (which clipping can still rescue) do not square past float32's range; NaN or ±Infinity in any
 * tensor gives a non-finite norm. Not inside a tidy: wrap it.
 */
export function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  const largest = tf.max(tf.stack(grads.map((t) => tf.max(tf.abs(t)))));
  const unit = tf.maximum(largest, 1e-30);
  const sum = tf.addN(grads.map((t) => tf.sum(tf.square(tf.div(t, unit)))));
  return tf.mul(tf.sqrt(sum), largest) as tf.Scalar;
}

/** Reads a [T] norm tensor in lag order (last time step first). */
function byLag(t: tf.Tensor1D | undefined): number[] {
  return t ? Array.from(t.dataSync()).reverse() : [];
}

export class Trainer {
  readonly optimizer: tf.Optimizer;
  protected state: CellState[];
  private steps = 0;

  constructor(readonly model: SequenceModel, readonly options: TrainerOptions) {
    this.optimizer = makeOptimizer(options.optimizer, options.learningRate);
    this.state = model.zeroState(options.batch);
  }

  step(window: Window, withGradByLag = false): StepResult {
    const g = this.gradients(window, withGradByLag);
    return this.apply(g);
  }

  /**
   * Loss and gradients of one window on this trainer's streams, with the window's by-products.
   * `scale` multiplies loss and gradients (a shard's share of a larger batch).
   */
  gradients(window: Window, withGradByLag: boolean, scale = 1): WindowGradients {
    if (window.resetState) this.resetState();
    const layers = this.model.shape.layers;
    const aux: LayerAux[] = Array.from({ length: layers }, (_, l) => ({ wantLastStep: withGradByLag && l === layers - 1 }));
    const vars = this.model.variables;
    const seed = ++this.steps * 64 + (this.options.shard ?? 0);
    const { value, grads } = tf.variableGrads(() => {
      const loss = this.model.windowLoss(window.x, window.y, this.options.batch, this.state, aux, seed);
      return scale === 1 ? loss : (tf.mul(loss, scale) as tf.Scalar);
    }, vars);
    let gradByLag: GradByLag | undefined;
    if (withGradByLag) {
      const top = aux[layers - 1];
      gradByLag = { h: byLag(top.dhLast), c: byLag(top.dcLast), hTotal: byLag(top.dhNorm), cTotal: byLag(top.dcNorm) };
    }
    tf.dispose(aux.flatMap((a) => [a.dhNorm, a.dcNorm, a.dhLast, a.dcLast]));
    return { loss: value, grads: vars.map((v) => grads[v.name]), finals: aux.map((a) => a.final!), gradByLag };
  }

  /** Clips and applies gradients (in `model.variables` order) unless they are not finite. */
  apply(g: WindowGradients): StepResult {
    const vars = this.model.variables;
    const clip = this.options.clipNorm;
    const { norm, scaled } = tf.tidy(() => {
      const norm = globalNorm(g.grads);
      const scale = clip > 0 ? tf.div(clip, tf.maximum(norm, clip)) : null;
      const scaled: tf.NamedTensorMap = {};
      vars.forEach((v, k) => { scaled[v.name] = scale ? tf.mul(g.grads[k], scale) : tf.clone(g.grads[k]); });
      return { norm, scaled };
    });
    const loss = g.loss.dataSync()[0];
    const gradNorm = norm.dataSync()[0];
    const finite = Number.isFinite(loss) && Number.isFinite(gradNorm);
    const result: StepResult = { loss, gradNorm, clipped: clip > 0 && gradNorm > clip, finite, gradByLag: g.gradByLag };
    if (finite) {
      this.optimizer.applyGradients(scaled);
      disposeStates(this.state);
      this.state = g.finals;
    } else {
      disposeStates(g.finals.filter(Boolean));
    }
    tf.dispose([g.loss, norm, ...g.grads, ...Object.values(scaled)]);
    return result;
  }

  /**
   * Mean cross-entropy over `ids` read as this trainer's streams, `steps` tokens a window, with
   * `between` awaited after each window (see evaluateYielding). The training state is untouched.
   */
  async evaluate(ids: Int32Array, steps: number, between: () => Promise<void>, maxTokens?: number): Promise<number | null> {
    return evaluateYielding(this.model, ids, this.options.batch, steps, between, maxTokens);
  }

  /** True when `optimizerWeights` returns copies the caller must dispose (besides `iter`). */
  get ownsOptimizerCopies(): boolean {
    return false;
  }

  /** The optimizer's state as named tensors (tfjs's layout); `iter` is always the caller's to dispose. */
  async optimizerWeights(): Promise<NamedTensor[]> {
    return this.optimizer.getWeights();
  }

  /** Takes an optimizer state in tfjs's layout (from a checkpoint or another trainer). */
  async setOptimizerWeights(weights: NamedTensor[]): Promise<void> {
    await this.optimizer.setWeights(weights);
  }

  /** Carries the given final states into the next window (a shard that does not apply steps). */
  keepState(finals: CellState[]): void {
    disposeStates(this.state);
    this.state = finals;
  }

  resetState(): void {
    disposeStates(this.state);
    this.state = this.model.zeroState(this.options.batch);
  }

  dispose(): void {
    disposeStates(this.state);
    this.optimizer.dispose();
  }
}

/**
 * Mean cross-entropy over `ids` (nats per token), read as B streams with the state carried
 * across windows of T steps. At most `maxTokens` tokens are scored.
 */
export function evaluate(model: SequenceModel, ids: Int32Array, batch: number, steps: number, maxTokens = 65536): number | null {
  const windows = evaluateWindows(model, ids, batch, steps, maxTokens);
  for (;;) {
    const r = windows.next();
    if (r.done) return r.value;
  }
}

/**
 * `evaluate`, letting other work run between windows (`between` is awaited after each): a hover
 * asked while a long validation runs is answered within one window, not after all of them.
 */
export async function evaluateYielding(
  model: SequenceModel, ids: Int32Array, batch: number, steps: number, between: () => Promise<void>, maxTokens = 65536,
): Promise<number | null> {
  const windows = evaluateWindows(model, ids, batch, steps, maxTokens);
  try {
    for (;;) {
      const r = windows.next();
      if (r.done) return r.value;
      await between();
    }
  } finally {
    // When `between` throws (a stop), the generator's own cleanup still runs.
    windows.return(null);
  }
}

/**
 * Window `start` of an evaluation that reads `ids` as B streams of n tokens each: inputs and
 * targets [T·B], time-major (row t·B + b).
 */
export function evaluationWindow(ids: Int32Array, B: number, n: number, start: number, T: number): { x: Int32Array; y: Int32Array } {
  const x = new Int32Array(T * B);
  const y = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      x[t * B + b] = ids[b * n + start + t];
      y[t * B + b] = ids[b * n + start + t + 1];
    }
  }
  return { x, y };
}

/** The evaluation, one window per step of the generator; its return value is the mean loss. */
function* evaluateWindows(model: SequenceModel, ids: Int32Array, batch: number, steps: number, maxTokens: number): Generator<void, number | null> {
  if (ids.length < 2) return null;
  const use = ids.subarray(0, Math.min(ids.length, maxTokens + 1));
  const B = Math.max(1, Math.min(batch, Math.floor((use.length - 1) / steps) || 1));
  const n = Math.floor((use.length - 1) / B);
  if (n < 1) return null;
  let state = model.zeroState(B);
  let total = 0;
  let count = 0;
  try {
    for (let start = 0; start < n; start += steps) {
      const T = Math.min(steps, n - start);
      const { x, y } = evaluationWindow(use, B, n, start, T);
      const { logits, final } = model.logits(x, B, state);
      const loss = crossEntropy(logits, y, model.shape.vocabSize);
      total += loss.dataSync()[0] * T * B;
      count += T * B;
      tf.dispose([logits, loss]);
      disposeStates(state);
      state = final;
      if (start + steps < n) yield;
    }
  } finally {
    disposeStates(state);
  }
  return total / count;
}
