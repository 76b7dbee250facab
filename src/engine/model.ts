/**
 * The character model: one-hot input → LSTM(H) → linear → softmax over the vocabulary.
 */
import * as tf from '@tensorflow/tfjs';
import { lstmForward, lstmLayer, type LstmAux, type LstmState } from './lstm';
import { Rng } from './rng';

export interface ModelShape {
  vocabSize: number;
  hiddenSize: number;
}

export interface ModelParams {
  /** [V, 4H] input weights (one-hot input, so row v is the projection of token v) */ Wx: tf.Variable<tf.Rank.R2>;
  /** [H, 4H] recurrent weights */ Wh: tf.Variable<tf.Rank.R2>;
  /** [4H] gate biases, forget gate initialised to 1 */ b: tf.Variable<tf.Rank.R1>;
  /** [H, V] output weights */ Wy: tf.Variable<tf.Rank.R2>;
  /** [V] output bias */ by: tf.Variable<tf.Rank.R1>;
}

export class CharModel {
  private constructor(readonly shape: ModelShape, readonly params: ModelParams) {}

  /** Seeded initialisation: weights ~ N(0, 1/fan_in), forget-gate bias 1. */
  static create(shape: ModelShape, seed: number): CharModel {
    const { vocabSize: V, hiddenSize: H } = shape;
    const rng = new Rng(seed);
    const normal = (n: number, scale: number) => {
      const a = new Float32Array(n);
      for (let k = 0; k < n; k++) a[k] = rng.normal() * scale;
      return a;
    };
    const b = new Float32Array(4 * H);
    b.fill(1, H, 2 * H);
    const params: ModelParams = {
      Wx: tf.variable(tf.tensor2d(normal(V * 4 * H, 1 / Math.sqrt(V + H)), [V, 4 * H])),
      Wh: tf.variable(tf.tensor2d(normal(H * 4 * H, 1 / Math.sqrt(V + H)), [H, 4 * H])),
      b: tf.variable(tf.tensor1d(b)),
      Wy: tf.variable(tf.tensor2d(normal(H * V, 1 / Math.sqrt(H)), [H, V])),
      by: tf.variable(tf.zeros([V]) as tf.Tensor1D),
    };
    return new CharModel(shape, params);
  }

  get variables(): tf.Variable[] {
    const p = this.params;
    return [p.Wx, p.Wh, p.b, p.Wy, p.by];
  }

  get parameterCount(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  zeroState(batch: number): LstmState {
    const H = this.shape.hiddenSize;
    return { h: tf.zeros([batch, H]), c: tf.zeros([batch, H]) };
  }

  /**
   * Mean cross-entropy (nats per token) of predicting `y` from `x` over one window, through the
   * hand-written BPTT layer; differentiable with respect to every parameter.
   */
  windowLoss(x: Int32Array, y: Int32Array, batch: number, state: LstmState, aux: LstmAux): tf.Scalar {
    const p = this.params;
    const hs = lstmLayer({ Wx: p.Wx, Wh: p.Wh, b: p.b }, x, batch, state, aux);
    const logits = tf.add(tf.matMul(hs, p.Wy), p.by) as tf.Tensor2D;
    return crossEntropy(logits, y, this.shape.vocabSize);
  }

  /** Forward only: logits [T*B, V] and the final state (both owned by the caller). */
  logits(x: Int32Array, batch: number, state: LstmState): { logits: tf.Tensor2D; final: LstmState } {
    return tf.tidy(() => {
      const p = this.params;
      const trace = lstmForward({ Wx: p.Wx, Wh: p.Wh, b: p.b }, x, batch, state);
      const T = trace.hs.length;
      const hs = tf.concat(trace.hs, 0) as tf.Tensor2D;
      const logits = tf.add(tf.matMul(hs, p.Wy), p.by) as tf.Tensor2D;
      return { logits, final: { h: trace.hs[T - 1], c: trace.cs[T - 1] } };
    });
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}

/** Mean softmax cross-entropy of integer targets. */
export function crossEntropy(logits: tf.Tensor2D, y: Int32Array, vocabSize: number): tf.Scalar {
  return tf.tidy(() => {
    const labels = tf.oneHot(tf.tensor1d(y, 'int32'), vocabSize);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  });
}
