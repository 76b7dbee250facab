/** Inference with a trained model: next-token distributions and sampling. */
import * as tf from '@tensorflow/tfjs';
import type { LstmState } from './lstm';
import type { CharModel } from './model';
import { Rng } from './rng';
import { encode, UNKNOWN_ID, type Vocabulary } from './tokens';

/** Runs `ids` (batch 1) from `state` and returns the final state (caller disposes). */
export function advance(model: CharModel, ids: Int32Array, state: LstmState): LstmState {
  if (ids.length === 0) return { h: tf.clone(state.h), c: tf.clone(state.c) };
  const { logits, final } = model.logits(ids, 1, state);
  logits.dispose();
  return final;
}

/** Softmax distribution over the vocabulary for the token after `context`. */
export function nextDistribution(model: CharModel, contextIds: Int32Array): Float32Array {
  const zero = model.zeroState(1);
  if (contextIds.length === 0) {
    // No context: the model's prediction from the zero state is the output bias alone.
    const p = tf.tidy(() => tf.softmax(tf.add(tf.matMul(zero.h, model.params.Wy), model.params.by)).dataSync() as Float32Array);
    tf.dispose([zero.h, zero.c]);
    return p;
  }
  const { logits, final } = model.logits(contextIds, 1, zero);
  const T = contextIds.length;
  const p = tf.tidy(() => tf.softmax(tf.slice(logits, [T - 1, 0], [1, -1])).dataSync() as Float32Array);
  tf.dispose([logits, final.h, final.c, zero.h, zero.c]);
  return p;
}

export interface Ranked {
  id: number;
  p: number;
}

export function topK(p: ArrayLike<number>, k: number): Ranked[] {
  const all: Ranked[] = [];
  for (let i = 0; i < p.length; i++) all.push({ id: i, p: p[i] });
  all.sort((a, b) => b.p - a.p);
  return all.slice(0, k);
}

export interface SampleOptions {
  length: number;
  temperature: number;
  seed: number;
  prime?: string;
}

/** Generates `length` tokens after `prime`, drawing from softmax(logits / temperature). */
export function sample(model: CharModel, vocab: Vocabulary, options: SampleOptions): string {
  const rng = new Rng(options.seed);
  const prime = options.prime && options.prime.length > 0 ? encode(options.prime, vocab) : Int32Array.of(randomKnownId(vocab, rng));
  const zero = model.zeroState(1);
  let state = advance(model, prime.subarray(0, prime.length - 1), zero);
  tf.dispose([zero.h, zero.c]);
  let last = prime[prime.length - 1];
  let out = '';
  const temperature = Math.max(options.temperature, 1e-3);
  for (let n = 0; n < options.length; n++) {
    const { logits, final } = model.logits(Int32Array.of(last), 1, state);
    const p = tf.tidy(() => tf.softmax(tf.div(logits, temperature)).dataSync() as Float32Array);
    tf.dispose([logits, state.h, state.c]);
    state = final;
    p[UNKNOWN_ID] = 0;
    last = rng.categorical(p);
    out += vocab.tokens[last];
  }
  tf.dispose([state.h, state.c]);
  return out;
}

function randomKnownId(vocab: Vocabulary, rng: Rng): number {
  return vocab.size > 1 ? 1 + Math.floor(rng.next() * (vocab.size - 1)) : UNKNOWN_ID;
}
