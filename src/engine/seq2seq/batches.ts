/**
 * Pairs as token ids and padded batches for an encoder–decoder.
 *
 * One vocabulary serves source and target: tasks that copy or reorder symbols (reversal, dates)
 * need the same id for the same symbol on both sides, and one output layer covers every token
 * the decoder may write. After the unknown token (id 0) come three markers that no text token can
 * be (a character token is one code point, and the word tokenizer splits "<" and ">" off):
 * padding, start of target and end of target.
 *
 * Batches are time-major as the recurrent kernels read them (row t·B + b). The pairs of a batch
 * have sources of one length, so only targets are padded (at the end, and masked).
 */
import type { TokenChoice } from '../../protocol/runConfig';
import { tokenizeText } from '../codec';
import type { Rng } from '../rng';
import { makeVocabulary, UNKNOWN_ID, UNKNOWN_TOKEN, type Vocabulary } from '../tokens';
import type { Pair } from './pairs';

export const PAD = '<pad>';
export const BOS = '<s>';
export const EOS = '</s>';
export const PAD_ID = 1;
export const BOS_ID = 2;
export const EOS_ID = 3;

export interface PairCodec {
  readonly mode: TokenChoice;
  readonly vocab: Vocabulary;
  /** Source token ids (no markers). */
  source(text: string): Int32Array;
  /** Target token ids followed by the end marker. */
  target(text: string): Int32Array;
  /** Text of decoded ids, up to the end marker; markers are not shown. */
  decode(ids: ArrayLike<number>): string;
}

/** The shared vocabulary of the pairs' tokens; refuses more than `maxVocab` distinct tokens. */
export function buildPairCodec(mode: TokenChoice, pairs: readonly Pair[], maxVocab: number): PairCodec {
  const seen = new Set<string>();
  for (const p of pairs) {
    for (const t of tokenizeText(mode, p.source).tokens) seen.add(t);
    for (const t of tokenizeText(mode, p.target).tokens) seen.add(t);
  }
  seen.delete(UNKNOWN_TOKEN);
  const size = seen.size + 4;
  if (size > maxVocab) {
    const hint = mode === 'word' ? ' Use character tokens, or pairs with fewer distinct words.' : '';
    throw new Error(`The pairs have ${seen.size} distinct ${mode === 'word' ? 'words' : 'characters'}; the vocabulary holds at most ${maxVocab - 4}.${hint}`);
  }
  const tokens = [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return pairCodecFromTokens(mode, [UNKNOWN_TOKEN, PAD, BOS, EOS, ...tokens]);
}

/** Restores a codec from its vocabulary (as a checkpoint keeps it). */
export function pairCodecFromTokens(mode: TokenChoice, tokens: readonly string[]): PairCodec {
  if (tokens[PAD_ID] !== PAD || tokens[BOS_ID] !== BOS || tokens[EOS_ID] !== EOS) throw new Error('not a sequence-to-sequence vocabulary (markers missing)');
  const vocab = makeVocabulary(tokens);
  const ids = (text: string) => Int32Array.from(tokenizeText(mode, text).tokens, (t) => vocab.idOf(t));
  return {
    mode,
    vocab,
    source: ids,
    target: (text) => {
      const body = ids(text);
      const out = new Int32Array(body.length + 1);
      out.set(body);
      out[body.length] = EOS_ID;
      return out;
    },
    decode: (seq) => {
      let s = '';
      for (let i = 0; i < seq.length; i++) {
        const id = seq[i];
        if (id === EOS_ID) break;
        if (id === PAD_ID || id === BOS_ID) continue;
        s += vocab.tokens[id] ?? vocab.tokens[UNKNOWN_ID];
      }
      return s;
    },
  };
}

export interface EncodedPair {
  source: Int32Array;
  /** Ends with EOS_ID. */
  target: Int32Array;
}

/** A batch, time-major: element (t, b) at t·B + b. */
export interface PairBatch {
  /** Pairs in the batch (B). */
  size: number;
  /** Longest source (Ts) and longest target with its end marker (Tt). */
  sourceSteps: number;
  targetSteps: number;
  /** [Ts·B] source ids, PAD_ID past each source's end. */
  source: Int32Array;
  /** [B] source lengths. */
  sourceLength: Int32Array;
  /** [Tt·B] decoder inputs: BOS_ID, then the target without its end marker (teacher forcing). */
  decoderInput: Int32Array;
  /** [Tt·B] what the decoder should write: the target and EOS_ID; PAD_ID past it. */
  decoderTarget: Int32Array;
  /** [Tt·B] 1 where decoderTarget is a real token, 0 for padding. */
  mask: Float32Array;
  /** Tokens the loss counts (the sum of mask). */
  tokens: number;
}

export function encodePairs(codec: PairCodec, pairs: readonly Pair[]): EncodedPair[] {
  return pairs.map((p) => ({ source: codec.source(p.source), target: codec.target(p.target) }));
}

/** One padded batch of the given pairs, in order. */
export function makeBatch(pairs: readonly EncodedPair[]): PairBatch {
  const B = pairs.length;
  if (B === 0) throw new Error('a batch needs at least one pair');
  const Ts = Math.max(...pairs.map((p) => p.source.length));
  const Tt = Math.max(...pairs.map((p) => p.target.length));
  const source = new Int32Array(Ts * B).fill(PAD_ID);
  const sourceLength = new Int32Array(B);
  const decoderInput = new Int32Array(Tt * B).fill(PAD_ID);
  const decoderTarget = new Int32Array(Tt * B).fill(PAD_ID);
  const mask = new Float32Array(Tt * B);
  let tokens = 0;
  pairs.forEach((p, b) => {
    sourceLength[b] = p.source.length;
    for (let t = 0; t < p.source.length; t++) source[t * B + b] = p.source[t];
    for (let t = 0; t < p.target.length; t++) {
      decoderInput[t * B + b] = t === 0 ? BOS_ID : p.target[t - 1];
      decoderTarget[t * B + b] = p.target[t];
      mask[t * B + b] = 1;
      tokens++;
    }
  });
  return { size: B, sourceSteps: Ts, targetSteps: Tt, source, sourceLength, decoderInput, decoderTarget, mask, tokens };
}

/**
 * One epoch of batches: the pairs grouped by source length (so that the encoder reads no
 * padding), each group shuffled and cut into batches of at most `batchSize`, and the batches
 * shuffled. Every pair appears once.
 */
export function epochBatches(pairs: readonly EncodedPair[], batchSize: number, rng: Rng): PairBatch[] {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batch size must be a whole number ≥ 1, got ${batchSize}`);
  const groups: number[][] = [];
  for (const group of byLength(pairs).values()) {
    shuffle(group, rng);
    for (let k = 0; k < group.length; k += batchSize) groups.push(group.slice(k, k + batchSize));
  }
  shuffle(groups, rng);
  return groups.map((g) => makeBatch(g.map((i) => pairs[i])));
}

/** Indices of the pairs by source length, in order of first appearance; within a length, in order. */
export function byLength(pairs: readonly EncodedPair[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  pairs.forEach((p, i) => {
    const list = out.get(p.source.length);
    if (list) list.push(i);
    else out.set(p.source.length, [i]);
  });
  return out;
}

/**
 * The batch with rows added up to `size` (the model's batch): copies of the first row's source
 * with nothing to predict (mask 0), so they change neither the loss nor the gradients.
 */
export function padBatch(batch: PairBatch, size: number): PairBatch {
  const B = batch.size;
  if (size < B) throw new RangeError(`a batch of ${B} does not fit in ${size}`);
  if (size === B) return batch;
  const widen = <A extends Int32Array | Float32Array>(a: A, T: number, fill: (t: number) => number): A => {
    const out = new (a.constructor as { new (n: number): A })(T * size);
    for (let t = 0; t < T; t++) {
      out.set(a.subarray(t * B, (t + 1) * B), t * size);
      for (let b = B; b < size; b++) out[t * size + b] = fill(t);
    }
    return out;
  };
  const Ts = batch.sourceSteps;
  const Tt = batch.targetSteps;
  const sourceLength = new Int32Array(size).fill(batch.sourceLength[0]);
  sourceLength.set(batch.sourceLength);
  return {
    ...batch,
    size,
    source: widen(batch.source, Ts, (t) => batch.source[t * B]),
    sourceLength,
    decoderInput: widen(batch.decoderInput, Tt, () => PAD_ID),
    decoderTarget: widen(batch.decoderTarget, Tt, () => PAD_ID),
    mask: widen(batch.mask, Tt, () => 0),
  };
}

function shuffle<T>(a: T[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}
