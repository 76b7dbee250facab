/**
 * Writing a target for a source: greedy decoding (the most likely token at each step, for up to a
 * batch of sources of one length at once) and beam search (the `width` most likely partial
 * targets kept at each step, one stream each). Both start from the encoder's final state and stop
 * at the end marker or after `maxSteps` tokens, and keep each token's probability and where the
 * decoder looked (the attention weights over the source).
 */
import * as tf from '@tensorflow/tfjs-core';
import { BOS_ID, EOS_ID } from './batches';
import { bMajor } from './layout';
import type { FusedSeq2Seq } from './model';

export interface Decoded {
  /** Token ids written, ending with EOS_ID unless `maxSteps` came first. */
  ids: number[];
  /** Probability of each written token. */
  probs: number[];
  /** Attention over the source positions for each written token (empty without attention). */
  attention: Float32Array[];
  /** Sum of the written tokens' log-probabilities. */
  logp: number;
}

/** Encodes `sources` (one length, at most the model's batch) into the model; returns the head's inputs. */
function start(model: FusedSeq2Seq, sources: readonly Int32Array[]): { Hs: tf.Tensor3D; w: tf.Tensor[]; Ts: number } {
  const B = model.batch;
  const n = sources.length;
  if (n === 0 || n > B) throw new Error(`decoding takes 1–${B} sources at once, got ${n}`);
  const Ts = sources[0].length;
  if (Ts === 0) throw new Error('a source has no tokens');
  if (sources.some((s) => s.length !== Ts)) throw new Error('sources decoded together must have one length');
  if (Ts > model.maxSource) throw new Error(`a source of ${Ts} tokens is longer than the model reads (${model.maxSource})`);
  const src = new Int32Array(Ts * B);
  for (let t = 0; t < Ts; t++) for (let b = 0; b < B; b++) src[t * B + b] = sources[Math.min(b, n - 1)][t];
  const henc = model.encode(src, Ts);
  return { Hs: tf.tensor3d(bMajor(henc, Ts, B, model.E), [B, Ts, model.E]), w: model.headTensors(), Ts };
}

/** One decoder step for every stream: log-probabilities [B·V] and attention [B·Ts] (or null). */
function stepAll(model: FusedSeq2Seq, prev: Int32Array, Hs: tf.Tensor3D, w: tf.Tensor[]): { logp: Float32Array; alpha: Float32Array | null } {
  const B = model.batch;
  const S = model.decode(prev, 1);
  let out: { logp: Float32Array; alpha: Float32Array | null } = { logp: new Float32Array(0), alpha: null };
  tf.tidy(() => {
    const { logits, alpha } = model.headForward(tf.tensor2d(S, [B, model.shape.hidden]), Hs, 1, w);
    out = { logp: tf.logSoftmax(logits).dataSync() as Float32Array, alpha: alpha ? (alpha.dataSync() as Float32Array) : null };
  });
  model.carryDecoder(1);
  return out;
}

/** Greedy decoding of several sources of one length together. */
export function greedyDecode(model: FusedSeq2Seq, sources: readonly Int32Array[], maxSteps: number): Decoded[] {
  const B = model.batch;
  const V = model.shape.vocab;
  const { Hs, w, Ts } = start(model, sources);
  try {
    const out: Decoded[] = sources.map(() => ({ ids: [], probs: [], attention: [], logp: 0 }));
    const done = sources.map(() => false);
    const prev = new Int32Array(B).fill(BOS_ID);
    for (let step = 0; step < maxSteps && done.includes(false); step++) {
      const { logp, alpha } = stepAll(model, prev, Hs, w);
      out.forEach((d, b) => {
        if (done[b]) return;
        let best = 0;
        for (let v = 1; v < V; v++) if (logp[b * V + v] > logp[b * V + best]) best = v;
        d.ids.push(best);
        d.probs.push(Math.exp(logp[b * V + best]));
        d.logp += logp[b * V + best];
        if (alpha) d.attention.push(alpha.slice(b * Ts, (b + 1) * Ts));
        prev[b] = best;
        if (best === EOS_ID) done[b] = true;
      });
    }
    return out;
  } finally {
    Hs.dispose();
    w.forEach((t) => t.dispose());
  }
}

/**
 * Beam search for one source: keeps the `width` (≤ the model's batch) most likely partial targets;
 * a target ending in the end marker is finished. Returns the finished target with the best mean
 * log-probability per token (the unfinished ones if none finished). Width 1 is greedy decoding.
 */
export function beamDecode(model: FusedSeq2Seq, source: Int32Array, width: number, maxSteps: number): Decoded {
  const B = model.batch;
  const V = model.shape.vocab;
  const H = model.shape.hidden;
  if (!(Number.isInteger(width) && width >= 1 && width <= B)) throw new Error(`beam width must be 1–${B}, got ${width}`);
  const { Hs, w, Ts } = start(model, [source]);
  try {
    let live: Decoded[] = [{ ids: [], probs: [], attention: [], logp: 0 }];
    const finished: Decoded[] = [];
    const prev = new Int32Array(B).fill(BOS_ID);
    for (let step = 0; step < maxSteps && live.length > 0 && finished.length < width; step++) {
      const { logp, alpha } = stepAll(model, prev, Hs, w);
      // The best `width` continuations over all live beams (each beam's best `width` tokens suffice).
      const candidates: { beam: number; id: number; score: number }[] = [];
      live.forEach((beam, r) => {
        const row = logp.subarray(r * V, (r + 1) * V);
        const top: number[] = [];
        for (let v = 0; v < V; v++) {
          if (top.length < width || row[v] > row[top[top.length - 1]]) {
            top.push(v);
            top.sort((a, b) => row[b] - row[a] || a - b);
            if (top.length > width) top.pop();
          }
        }
        for (const id of top) candidates.push({ beam: r, id, score: beam.logp + row[id] });
      });
      candidates.sort((a, b) => b.score - a.score || a.beam - b.beam || a.id - b.id);
      const next: Decoded[] = [];
      const parents: number[] = [];
      for (const c of candidates.slice(0, width)) {
        const beam = live[c.beam];
        const d: Decoded = {
          ids: [...beam.ids, c.id],
          probs: [...beam.probs, Math.exp(c.score - beam.logp)],
          attention: alpha ? [...beam.attention, alpha.slice(c.beam * Ts, (c.beam + 1) * Ts)] : [],
          logp: c.score,
        };
        if (c.id === EOS_ID) finished.push(d);
        else {
          next.push(d);
          parents.push(c.beam);
        }
      }
      // Each stream goes on from its parent beam's state.
      for (const layer of model.decoder) {
        for (const state of [layer.h0, layer.c0]) {
          if (state.length === 0) continue;
          const old = state.slice();
          parents.forEach((p, j) => state.set(old.subarray(p * H, (p + 1) * H), j * H));
        }
      }
      next.forEach((d, j) => { prev[j] = d.ids[d.ids.length - 1]; });
      live = next;
    }
    const pool = finished.length > 0 ? finished : live;
    return pool.reduce((best, d) => (d.logp / d.ids.length > best.logp / best.ids.length ? d : best));
  } finally {
    Hs.dispose();
    w.forEach((t) => t.dispose());
  }
}
