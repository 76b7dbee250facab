/**
 * The encoder–decoder's head, in tfjs ops (differentiated by tfjs): attention of the decoder's
 * states over the encoder's (none, dot or additive; model.ts says which is which) and the output
 * layer, and the masked cross-entropy of the target tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AttentionKind, HeadTensors } from './model';

/**
 * Attention and output layer on decoder outputs S [B·Tt, H] (b-major) and encoder outputs
 * Hs [B, Ts, E], with the head's weights `w` (in the head's order).
 */
export function headForward(attention: AttentionKind, H: number, E: number, S: tf.Tensor2D, Hs: tf.Tensor3D, Tt: number, w: tf.Tensor[]): HeadTensors {
  const B = Hs.shape[0];
  const Ts = Hs.shape[1];
  let k = 0;
  let o: tf.Tensor2D = S;
  let alpha: tf.Tensor3D | null = null;
  if (attention !== 'none') {
    let scores: tf.Tensor3D;
    // Batched products over B small matrices are slow in tfjs's wasm kernels: the per-pair
    // products below are broadcast multiplies and sums instead (the same arithmetic).
    if (attention === 'dot') {
      const q = tf.reshape(tf.matMul(S, w[k++] as tf.Tensor2D), [B, Tt, 1, E]);
      scores = tf.sum(tf.mul(q, tf.reshape(Hs, [B, 1, Ts, E])), 3) as tf.Tensor3D;
    } else {
      const W1 = w[k++] as tf.Tensor2D;
      const W2 = w[k++] as tf.Tensor2D;
      const v = w[k++] as tf.Tensor1D;
      const keys = tf.reshape(tf.matMul(tf.reshape(Hs, [B * Ts, E]), W1), [B, 1, Ts, H]);
      const queries = tf.reshape(tf.matMul(S, W2), [B, Tt, 1, H]);
      const e = tf.tanh(tf.add(keys, queries));
      scores = tf.reshape(tf.matMul(tf.reshape(e, [B * Tt * Ts, H]), tf.reshape(v, [H, 1])), [B, Tt, Ts]);
    }
    alpha = tf.softmax(scores) as tf.Tensor3D;
    const context = tf.reshape(tf.sum(tf.mul(tf.reshape(alpha, [B, Tt, Ts, 1]), tf.reshape(Hs, [B, 1, Ts, E])), 2), [B * Tt, E]);
    const Wc = w[k++] as tf.Tensor2D;
    const bc = w[k++] as tf.Tensor1D;
    o = tf.tanh(tf.add(tf.matMul(tf.concat([context, S], 1), Wc), bc));
  }
  const logits = tf.add(tf.matMul(o, w[k++] as tf.Tensor2D), w[k++]) as tf.Tensor2D;
  return { logits, alpha };
}

/** Mean masked cross-entropy of b-major logits against b-major targets. */
export function maskedLoss(logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D, tokens: number): tf.Scalar {
  const V = logits.shape[1];
  const logp = tf.logSoftmax(logits);
  const picked = tf.sum(tf.mul(logp, tf.oneHot(targets, V)), 1);
  return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), Math.max(tokens, 1)) as tf.Scalar;
}

