/**
 * One optimisation step at a time: stateful truncated BPTT with Adam and clipping by global norm.
 */
import * as tf from '@tensorflow/tfjs';
import type { Window } from './data';
import type { LstmAux, LstmState } from './lstm';
import { CharModel, crossEntropy } from './model';

export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipped: boolean;
  /** False when the loss or the gradients were NaN/Inf: nothing was applied. */
  finite: boolean;
  /** ‖∂L/∂h_t‖ for t = 1..T when requested. */
  dhNorm?: Float32Array;
  dcNorm?: Float32Array;
}

export interface TrainerOptions {
  learningRate: number;
  /** 0 turns clipping off. */
  clipNorm: number;
  batch: number;
}

export class Trainer {
  private readonly optimizer: tf.Optimizer;
  private state: LstmState;

  constructor(readonly model: CharModel, readonly options: TrainerOptions) {
    this.optimizer = tf.train.adam(options.learningRate);
    this.state = model.zeroState(options.batch);
  }

  step(window: Window, withGradNorms = false): StepResult {
    if (window.resetState) this.resetState();
    const aux: LstmAux = {};
    const vars = this.model.variables;
    const { value, grads } = tf.variableGrads(
      () => this.model.windowLoss(window.x, window.y, this.options.batch, this.state, aux),
      vars,
    );
    const clip = this.options.clipNorm;
    const { norm, scaled } = tf.tidy(() => {
      const norm = tf.sqrt(tf.addN(vars.map((v) => tf.sum(tf.square(grads[v.name]))))) as tf.Scalar;
      if (!(clip > 0)) return { norm, scaled: grads };
      const scale = tf.div(clip, tf.maximum(norm, clip));
      const scaled: tf.NamedTensorMap = {};
      for (const v of vars) scaled[v.name] = tf.mul(grads[v.name], scale);
      return { norm, scaled };
    });
    const loss = value.dataSync()[0];
    const gradNorm = norm.dataSync()[0];
    const finite = Number.isFinite(loss) && Number.isFinite(gradNorm);
    const result: StepResult = { loss, gradNorm, clipped: clip > 0 && gradNorm > clip, finite };
    if (finite) {
      this.optimizer.applyGradients(scaled);
      tf.dispose([this.state.h, this.state.c]);
      this.state = aux.final!;
      if (withGradNorms) {
        result.dhNorm = aux.dhNorm!.dataSync() as Float32Array;
        result.dcNorm = aux.dcNorm!.dataSync() as Float32Array;
      }
    } else {
      tf.dispose([aux.final?.h, aux.final?.c]);
    }
    tf.dispose([value, norm, aux.dhNorm, aux.dcNorm]);
    tf.dispose(Object.values(grads));
    if (scaled !== grads) tf.dispose(Object.values(scaled));
    return result;
  }

  resetState(): void {
    tf.dispose([this.state.h, this.state.c]);
    this.state = this.model.zeroState(this.options.batch);
  }

  dispose(): void {
    tf.dispose([this.state.h, this.state.c]);
    this.optimizer.dispose();
  }
}

/**
 * Mean cross-entropy over `ids` (nats per token), read as B streams with the state carried
 * across windows of T steps. At most `maxTokens` tokens are scored.
 */
export function evaluate(model: CharModel, ids: Int32Array, batch: number, steps: number, maxTokens = 65536): number | null {
  if (ids.length < 2) return null;
  const use = ids.subarray(0, Math.min(ids.length, maxTokens + 1));
  const B = Math.max(1, Math.min(batch, Math.floor((use.length - 1) / steps) || 1));
  const n = Math.floor((use.length - 1) / B);
  if (n < 1) return null;
  let state = model.zeroState(B);
  let total = 0;
  let count = 0;
  for (let start = 0; start < n; start += steps) {
    const T = Math.min(steps, n - start);
    const x = new Int32Array(T * B);
    const y = new Int32Array(T * B);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        x[t * B + b] = use[b * n + start + t];
        y[t * B + b] = use[b * n + start + t + 1];
      }
    }
    const { logits, final } = model.logits(x, B, state);
    const loss = crossEntropy(logits, y, model.shape.vocabSize);
    total += loss.dataSync()[0] * T * B;
    count += T * B;
    tf.dispose([logits, loss, state.h, state.c]);
    state = final;
  }
  tf.dispose([state.h, state.c]);
  return total / count;
}
