/**
 * Runs the model over a span of a mirrored document for hovers, traces and overlays: from the
 * nearest state kept in its DocumentStates (or a warm-up before the span), keeping states along
 * the way (docStates.ts says how and why).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CellState } from './cells/cell';
import type { Codec } from './codec';
import type { DocumentStates } from './docStates';
import type { LayerTraceData } from './infer';
import { disposeStates, tidyKeep, type SequenceModel } from './model';

/** UTF-16 units after the span tokenized to complete its last token and find the one after it. */
const TAIL_UNITS = 512;

/** What to compute for a span. */
export interface SpanWant {
  /** The next-token distribution after the span's last token. */
  next?: boolean;
  /** Surprisal (bits) of every span token given all before it. */
  surprisal?: boolean;
  /** Every layer's gates, c and h at every span token. */
  trace?: boolean;
  /** One unit's value at every span token. */
  unit?: { layer: number; name: string; unit: number };
}

export interface SpanResult {
  tokens: string[];
  ids: Int32Array;
  /** UTF-16 offset of each span token in the document. */
  offsets: Int32Array;
  /** The token after the span, or null at the end of the document. */
  following: { token: string; id: number; offset: number } | null;
  /** Softmax after the span's last token (`want.next`). */
  next?: Float32Array;
  /** Bits per span token; NaN for the document's first token (`want.surprisal`). */
  bits?: Float32Array;
  trace?: LayerTraceData[];
  unit?: Float32Array;
  /** Model steps this call ran (warm-up or catch-up, plus the span). */
  steps: number;
  /** Whether it started from a kept state (or the document start) rather than a warm-up. */
  cached: boolean;
}

/**
 * Reads token ids from a packed state (every layer's h, then c; null: zero) to the packed state
 * after them, with the model's weights: a faster path than tfjs for the catch-up before a span
 * (fused/stateReader.ts).
 */
export interface StateAdvance {
  /** `top`, when given, receives the top layer's h after each token ([ids.length, H] from its start). */
  advance(ids: Int32Array, state: Float32Array | null, top?: Float32Array): Float32Array;
}

/**
 * Runs the model over the tokens overlapping [start, end) of the document (the token at `start`
 * when the span is empty), starting from the nearest kept state, and keeps states along the way.
 */
export function inspectSpan(model: SequenceModel, codec: Codec, doc: DocumentStates, start: number, end: number, want: SpanWant, reader?: StateAdvance): SpanResult {
  const text = doc.text;
  const { every, warmup } = doc.options;
  start = Math.max(0, Math.min(start, text.length));
  const spanEnd = Math.min(text.length, Math.max(end, start + 1));

  // Where to start reading: a kept state within reach, else `warmup` tokens before the span.
  const entry = doc.entryAtOrBefore(start);
  let origin = 0;
  let startState: Float32Array | null = null;
  let warmAfter = 0;
  if (entry && start - entry.offset <= warmup * 4) {
    origin = entry.offset;
    startState = entry.state;
  } else if (start > 0) {
    origin = warmupStart(codec, text, start, warmup);
    warmAfter = origin === 0 ? 0 : warmup;
    // A kept state after the warm-up's start is nearer and has read more: read on from it.
    if (entry && entry.offset >= origin) {
      origin = entry.offset;
      startState = entry.state;
      warmAfter = 0;
    }
  }
  const sliceEnd = Math.min(text.length, spanEnd + TAIL_UNITS);
  const { tokens, offsets: rel } = codec.tokenize(text.slice(origin, sliceEnd));
  // A caught-up path longer than a warm-up would be slower than a warm-up: start over from one.
  const endOf = (i: number) => origin + rel[i] + tokens[i].length;
  let lead = 0;
  while (lead < tokens.length && endOf(lead) <= start) lead++;
  if (startState && lead > warmup + every && start > 0) {
    const again = warmupStart(codec, text, start, warmup);
    if (again > origin) return inspectFrom(model, codec, doc, again, again === 0 ? 0 : warmup, null, start, spanEnd, sliceEnd, want, reader);
  }
  return inspectFrom(model, codec, doc, origin, warmAfter, startState, start, spanEnd, sliceEnd, want, reader, { tokens, rel, lead });
}

/** The offset `warmup` tokens before the token at `start` (a token boundary), or 0. */
function warmupStart(codec: Codec, text: string, start: number, warmup: number): number {
  const unitsPerToken = codec.mode === 'word' ? 16 : 2;
  const from = Math.max(0, start - warmup * unitsPerToken);
  // Past `start`, so that a token that `start` falls inside is seen whole and not counted.
  const { tokens, offsets } = codec.tokenize(text.slice(from, Math.min(text.length, start + TAIL_UNITS)));
  let n = 0;
  while (n < tokens.length && from + offsets[n] + tokens[n].length <= start) n++;
  // The slice may cut the first token: it does not count.
  const first = from > 0 ? 1 : 0;
  if (n - first >= warmup) return from + offsets[n - warmup];
  if (from === 0) return 0;
  return from + offsets[Math.min(first, n, tokens.length - 1)];
}

function inspectFrom(
  model: SequenceModel, codec: Codec, doc: DocumentStates, origin: number, warmAfter: number, startState: Float32Array | null,
  start: number, spanEnd: number, sliceEnd: number, want: SpanWant, reader: StateAdvance | undefined, pre?: { tokens: string[]; rel: Int32Array; lead: number },
): SpanResult {
  const text = doc.text;
  const { every } = doc.options;
  const tokenize = (to: number) => {
    const t = codec.tokenize(text.slice(origin, to));
    let lead = 0;
    while (lead < t.tokens.length && origin + t.offsets[lead] + t.tokens[lead].length <= start) lead++;
    return { tokens: t.tokens, rel: t.offsets, lead };
  };
  let tokenized = pre ?? tokenize(sliceEnd);
  // A token longer than the tail (a long run of digits or spaces) is read whole, with the one after it.
  const spanAndNextComplete = (t: typeof tokenized) => {
    let i = t.lead;
    while (i < t.tokens.length && origin + t.rel[i] < spanEnd) i++;
    return i < t.tokens.length && origin + t.rel[i] + t.tokens[i].length < sliceEnd;
  };
  while (sliceEnd < text.length && !spanAndNextComplete(tokenized)) {
    sliceEnd = Math.min(text.length, sliceEnd + Math.max(TAIL_UNITS, sliceEnd - origin));
    tokenized = tokenize(sliceEnd);
  }
  const { tokens, rel, lead } = tokenized;
  const ids = Int32Array.from(tokens, (t) => codec.vocab.idOf(t));
  let spanCount = 0;
  while (lead + spanCount < tokens.length && origin + rel[lead + spanCount] < spanEnd) spanCount++;
  // The last token is complete only if the slice reached the end of the text or went past it.
  const after = lead + spanCount;
  const complete = (i: number) => sliceEnd === text.length || origin + rel[i] + tokens[i].length < sliceEnd;
  const following = after < tokens.length && complete(after) ? { token: tokens[after], id: ids[after], offset: origin + rel[after] } : null;

  const H = model.shape.hiddenSize;
  const L = model.shape.layers;
  const hasC = model.cell.hasCellState;
  let state: CellState[] = [];
  const result: SpanResult = {
    tokens: tokens.slice(lead, after), ids: ids.slice(lead, after), offsets: Int32Array.from(rel.subarray(lead, after), (r) => origin + r),
    following, steps: 0, cached: warmAfter === 0,
  };
  const boundary = (i: number) => (i < tokens.length ? origin + rel[i] : text.length);
  // States of a warm-up chain have read less than a state kept from further back: they never replace one.
  const keep = (read: number, packed?: Float32Array) => {
    if (read >= warmAfter && read > 0) doc.store(boundary(read), packed ?? pack(state, hasC), warmAfter === 0);
  };
  try {
    // Catch up (or warm up) to the span, keeping a state every `every` tokens.
    let read = 0;
    if (reader) {
      let packed = startState;
      while (read < lead) {
        const n = Math.min(lead - read, every - (read % every));
        packed = reader.advance(ids.subarray(read, read + n), packed);
        read += n;
        result.steps += n;
        if (read % every === 0 || read === lead) keep(read, packed);
      }
      startState = packed;
      // Nothing traced: the span is read on the kernels too, the output layer applied to their h.
      if (!want.trace && !want.unit) {
        readSpan(model, reader, ids, lead, spanCount, every, packed, origin > 0 || lead > 0, want, result, keep);
        return result;
      }
    }
    state = startState ? unpack(startState, L, H, hasC) : model.zeroState(1);
    while (read < lead) {
      const n = Math.min(lead - read, every - (read % every));
      const next = tidyKeep(() => model.traces(ids.subarray(read, read + n), 1, state).map(finalOf));
      disposeStates(state);
      state = next;
      read += n;
      result.steps += n;
      if (read % every === 0 || read === lead) keep(read);
    }
    const V = model.shape.vocabSize;
    const bits = want.surprisal ? new Float32Array(spanCount).fill(NaN) : undefined;
    // The first span token is predicted by the state before it, unless nothing came before.
    if (bits && spanCount > 0 && (origin > 0 || lead > 0)) {
      const logp = tf.tidy(() => tf.logSoftmax(tf.add(tf.matMul(state[L - 1].h, model.Wy), model.by)).dataSync() as Float32Array);
      bits[0] = -logp[ids[lead]] / Math.LN2;
    }
    if (want.trace) result.trace = Array.from({ length: L }, () => ({ units: H, tokens: spanCount, values: {} }));
    if (want.unit) result.unit = new Float32Array(spanCount);
    const unitName = want.unit?.name;
    for (let s = 0; s < spanCount;) {
      const n = Math.min(spanCount - s, every - ((lead + s) % every));
      const x = ids.subarray(lead + s, lead + s + n);
      const last = s + n === spanCount;
      const next = tidyKeep(() => {
        const traces = model.traces(x, 1, state);
        if (result.trace) {
          traces.forEach((trace, l) => {
            const put = (name: string, rows: tf.Tensor2D[]) => {
              const out = (result.trace![l].values[name] ??= new Float32Array(spanCount * H));
              out.set(tf.concat(rows, 0).dataSync() as Float32Array, s * H);
            };
            for (const g of model.cell.gateNames) put(g, trace.steps.map((st) => st.gates[g]));
            if (trace.cs.length) put('c', trace.cs);
            put('h', trace.hs);
          });
        }
        if (want.unit && unitName) {
          const trace = traces[want.unit.layer];
          const rows = unitName === 'h' ? trace.hs : unitName === 'c' ? trace.cs : trace.steps.map((st) => st.gates[unitName]);
          if (!rows.length || !rows[0]) throw new Error(`no "${unitName}" in layer ${want.unit.layer + 1} of this model`);
          const col = tf.slice(tf.concat(rows, 0), [0, want.unit.unit], [n, 1]).dataSync() as Float32Array;
          result.unit!.set(col, s);
        }
        const top = traces[L - 1].hs;
        if (bits && n > 0) {
          const need = last ? n - 1 : n; // row j predicts span token s + j + 1
          if (need > 0) {
            const logp = tf.logSoftmax(tf.add(tf.matMul(tf.concat(top.slice(0, need), 0), model.Wy), model.by)).dataSync() as Float32Array;
            for (let j = 0; j < need; j++) bits[s + j + 1] = -logp[j * V + ids[lead + s + j + 1]] / Math.LN2;
          }
        }
        if (want.next && last) result.next = tf.softmax(tf.add(tf.matMul(top[n - 1], model.Wy), model.by)).dataSync() as Float32Array;
        return traces.map(finalOf);
      });
      disposeStates(state);
      state = next;
      s += n;
      result.steps += n;
      if ((lead + s) % every === 0 || last) keep(lead + s);
    }
    if (bits) result.bits = bits;
    return result;
  } finally {
    disposeStates(state);
  }
}

/**
 * The span's tokens read on the kernels from `state` (packed), keeping states as the tfjs path
 * does: surprisal and the next-token distribution from the top layer's h through the output layer.
 */
function readSpan(
  model: SequenceModel, reader: StateAdvance, ids: Int32Array, lead: number, spanCount: number, every: number, state: Float32Array | null,
  hasBefore: boolean, want: SpanWant, result: SpanResult, keep: (read: number, packed: Float32Array) => void,
): void {
  const { hiddenSize: H, layers: L, vocabSize: V } = model.shape;
  const per = model.cell.hasCellState ? 2 : 1;
  const topAt = (L - 1) * per * H;
  const logits = (h: Float32Array, rows: number, log: boolean) => tf.tidy(() => {
    const z = tf.add(tf.matMul(tf.tensor2d(h, [rows, H]), model.Wy), model.by);
    return (log ? tf.logSoftmax(z) : tf.softmax(z)).dataSync() as Float32Array;
  });
  const bits = want.surprisal ? new Float32Array(spanCount).fill(NaN) : undefined;
  if (bits && spanCount > 0 && hasBefore) {
    const h = state ? state.slice(topAt, topAt + H) : new Float32Array(H);
    bits[0] = -logits(h, 1, true)[ids[lead]] / Math.LN2;
  }
  const top = new Float32Array(every * H);
  for (let s = 0; s < spanCount;) {
    const n = Math.min(spanCount - s, every - ((lead + s) % every));
    const last = s + n === spanCount;
    state = reader.advance(ids.subarray(lead + s, lead + s + n), state, top);
    const need = bits ? (last ? n - 1 : n) : 0; // row j predicts span token s + j + 1
    if (need > 0) {
      const logp = logits(top.subarray(0, need * H), need, true);
      for (let j = 0; j < need; j++) bits![s + j + 1] = -logp[j * V + ids[lead + s + j + 1]] / Math.LN2;
    }
    if (want.next && last) result.next = logits(top.slice((n - 1) * H, n * H), 1, false);
    s += n;
    result.steps += n;
    if ((lead + s) % every === 0 || last) keep(lead + s, state);
  }
  if (bits) result.bits = bits;
}

function finalOf(t: { hs: tf.Tensor2D[]; cs: tf.Tensor2D[] }): CellState {
  return { h: t.hs[t.hs.length - 1], c: t.cs.length ? t.cs[t.cs.length - 1] : null };
}

/** Every layer's h, then c, as one array (one read back from the backend). */
function pack(states: CellState[], hasC: boolean): Float32Array {
  return tf.tidy(() => tf.concat(states.flatMap((s) => (hasC && s.c ? [s.h, s.c] : [s.h])), 1).dataSync() as Float32Array);
}

function unpack(data: Float32Array, layers: number, H: number, hasC: boolean): CellState[] {
  const per = hasC ? 2 : 1;
  if (data.length !== layers * per * H) throw new Error(`a kept state has ${data.length} values, expected ${layers * per * H}`);
  const out: CellState[] = [];
  for (let l = 0; l < layers; l++) {
    const at = l * per * H;
    out.push({
      h: tf.tensor2d(data.subarray(at, at + H), [1, H]),
      c: hasC ? tf.tensor2d(data.subarray(at + H, at + 2 * H), [1, H]) : null,
    });
  }
  return out;
}
