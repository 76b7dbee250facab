/**
 * Inference with a trained model (batch 1): next-token distributions, per-token surprisal,
 * gate/state traces, saturation and sampling.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CellState } from './cells/cell';
import { disposeStates, tidyKeep, type SequenceModel } from './model';
import { Rng } from './rng';
import { UNKNOWN_ID, type Vocabulary } from './tokens';

/** Longest run fed to the model at once during inference. */
const CHUNK = 256;

/** Softmax distribution over the vocabulary for the token after `contextIds` (from a zero state). */
export function nextDistribution(model: SequenceModel, contextIds: Int32Array): Float32Array {
  const zero = model.zeroState(1);
  if (contextIds.length === 0) {
    const p = tf.tidy(() => tf.softmax(tf.add(tf.matMul(zero[zero.length - 1].h, model.Wy), model.by)).dataSync() as Float32Array);
    disposeStates(zero);
    return p;
  }
  let state = zero;
  let last: Float32Array = new Float32Array(0);
  for (let s = 0; s < contextIds.length; s += CHUNK) {
    const chunk = contextIds.subarray(s, s + CHUNK);
    const { logits, final } = model.logits(chunk, 1, state);
    if (s + CHUNK >= contextIds.length) last = tf.tidy(() => tf.softmax(tf.slice(logits, [chunk.length - 1, 0], [1, -1])).dataSync() as Float32Array);
    tf.dispose(logits);
    disposeStates(state);
    state = final;
  }
  disposeStates(state);
  return last;
}

/**
 * Surprisal in bits of every token given the ones before it (the state carried through the whole
 * sequence); entry 0 is NaN (nothing predicts the first token).
 */
export function surprisal(model: SequenceModel, ids: Int32Array): Float32Array {
  const out = new Float32Array(ids.length).fill(NaN);
  let state = model.zeroState(1);
  for (let s = 0; s + 1 < ids.length; s += CHUNK) {
    const x = ids.subarray(s, Math.min(s + CHUNK, ids.length - 1));
    const { logits, final } = model.logits(x, 1, state);
    const logp = tf.tidy(() => tf.logSoftmax(logits).dataSync() as Float32Array);
    const V = model.shape.vocabSize;
    for (let t = 0; t < x.length; t++) out[s + t + 1] = -logp[t * V + ids[s + t + 1]] / Math.LN2;
    tf.dispose(logits);
    disposeStates(state);
    state = final;
  }
  disposeStates(state);
  return out;
}

/** [tokens × units] activations (row-major) of one layer, by name: the gates, then c and h. */
export interface LayerTraceData {
  units: number;
  tokens: number;
  values: Record<string, Float32Array>;
}

/** Gate and state traces for `ids` (batch 1), from `start` (default: zero state). */
export function traceSpan(model: SequenceModel, ids: Int32Array, start?: CellState[]): LayerTraceData[] {
  const H = model.shape.hiddenSize;
  const out: LayerTraceData[] = model.layers.map(() => ({ units: H, tokens: ids.length, values: {} }));
  let state = start ?? model.zeroState(1);
  const owned = !start;
  for (let s = 0; s < ids.length; s += CHUNK) {
    const x = ids.subarray(s, s + CHUNK);
    const next = tidyKeep(() => {
      const traces = model.traces(x, 1, state);
      traces.forEach((trace, l) => {
        const put = (name: string, rows: tf.Tensor2D[]) => {
          const data = tf.concat(rows, 0).dataSync() as Float32Array;
          (out[l].values[name] ??= new Float32Array(ids.length * H)).set(data, s * H);
        };
        for (const g of model.cell.gateNames) put(g, trace.steps.map((st) => st.gates[g]));
        if (trace.cs.length) put('c', trace.cs);
        put('h', trace.hs);
      });
      return traces.map((t) => ({ h: t.hs[t.hs.length - 1], c: t.cs.length ? t.cs[t.cs.length - 1] : null }));
    });
    if (owned || s > 0) disposeStates(state);
    state = next;
  }
  if (ids.length > 0 || owned) disposeStates(state);
  return out;
}

/** Per unit, the fraction of steps a gate is left-saturated (< 0.1) and right-saturated (> 0.9). */
export function saturation(trace: LayerTraceData, gate: string): { left: Float32Array; right: Float32Array } {
  const v = trace.values[gate];
  if (!v) throw new Error(`no gate "${gate}" in this trace`);
  const { units: H, tokens: N } = trace;
  const left = new Float32Array(H);
  const right = new Float32Array(H);
  for (let t = 0; t < N; t++) {
    for (let u = 0; u < H; u++) {
      const x = v[t * H + u];
      if (x < 0.1) left[u] += 1;
      else if (x > 0.9) right[u] += 1;
    }
  }
  for (let u = 0; u < H; u++) { left[u] /= Math.max(N, 1); right[u] /= Math.max(N, 1); }
  return { left, right };
}

export interface Ranked {
  id: number;
  p: number;
}

export function topK(p: ArrayLike<number>, k: number): Ranked[] {
  const all: Ranked[] = [];
  for (let i = 0; i < p.length; i++) all.push({ id: i, p: p[i] });
  all.sort((a, b) => b.p - a.p || a.id - b.id);
  return all.slice(0, k);
}

export interface SampleOptions {
  /** Tokens to generate at most. */
  length: number;
  /** Softmax temperature; ignored with argmax. */
  temperature: number;
  seed: number;
  /** Ids to start from (the model reads them first); default one random known token. */
  prime?: Int32Array;
  /** Keep only the k most likely tokens (0 = all). */
  topK?: number;
  /** Always take the most likely token. */
  argmax?: boolean;
  /** Stop after generating this token id. */
  stopId?: number;
}

/** Generates token ids after the prime; the unknown token is never drawn. */
export function sampleIds(model: SequenceModel, vocab: Vocabulary, o: SampleOptions): number[] {
  const rng = new Rng(o.seed);
  const prime = o.prime && o.prime.length > 0 ? o.prime : Int32Array.of(vocab.size > 1 ? 1 + Math.floor(rng.next() * (vocab.size - 1)) : UNKNOWN_ID);
  const zero = model.zeroState(1);
  let state = zero;
  if (prime.length > 1) {
    const { logits, final } = model.logits(prime.subarray(0, prime.length - 1), 1, zero);
    tf.dispose(logits);
    disposeStates(zero);
    state = final;
  }
  let last = prime[prime.length - 1];
  const out: number[] = [];
  const temperature = Math.max(o.temperature, 1e-3);
  for (let n = 0; n < o.length; n++) {
    const { logits, final } = model.logits(Int32Array.of(last), 1, state);
    const p = tf.tidy(() => tf.softmax(tf.div(logits, temperature)).dataSync() as Float32Array);
    tf.dispose(logits);
    disposeStates(state);
    state = final;
    p[UNKNOWN_ID] = 0;
    if (o.argmax) {
      last = topK(p, 1)[0].id;
    } else {
      if (o.topK && o.topK > 0 && o.topK < p.length) {
        const cut = topK(p, o.topK)[o.topK - 1].p;
        for (let i = 0; i < p.length; i++) if (p[i] < cut) p[i] = 0;
      }
      last = rng.categorical(p);
    }
    out.push(last);
    if (o.stopId !== undefined && last === o.stopId) break;
  }
  disposeStates(state);
  return out;
}
