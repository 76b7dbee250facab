/**
 * Training an encoder–decoder on a file of pairs: the data prepared once (parsed, checked, split,
 * one vocabulary), batches drawn epoch after epoch, and evaluation by greedy decoding of the
 * held-out pairs (token accuracy and exact match).
 */
import { CELL_TYPES, type CellName, type TokenChoice } from '../../protocol/runConfig';
import type { Checkpoint } from '../checkpointFormat';
import { FusedModule } from '../fused/module';
import { Rng } from '../rng';
import { BOS, buildPairCodec, byLength, encodePairs, EOS, epochBatches, PAD, padBatch, pairCodecFromTokens, type EncodedPair, type PairBatch, type PairCodec } from './batches';
import { beamDecode, greedyDecode, type Decoded } from './decode';
import { ATTENTION_KINDS, FusedSeq2Seq, type AttentionKind, type Seq2SeqStep } from './model';
import { checkPairs, parsePairs, skippedNote, splitHeldOut, type Pair } from './pairs';

export interface Seq2SeqOptions {
  cell: CellName;
  layers: number;
  hidden: number;
  attention: AttentionKind;
  bidirectional: boolean;
  tokens: TokenChoice;
  batchSize: number;
  learningRate: number;
  clipNorm: number;
  seed: number;
  /** Beam width for decoding outside evaluation (1: greedy). */
  beam: number;
  maxVocab: number;
}

export const SEQ2SEQ_DEFAULTS: Seq2SeqOptions = {
  cell: 'lstm', layers: 1, hidden: 128, attention: 'dot', bidirectional: false, tokens: 'char',
  batchSize: 64, learningRate: 0.005, clipNorm: 5, seed: 1, beam: 1, maxVocab: 5000,
};

/** Why these options cannot make a model, or null. */
export function checkSeq2SeqOptions(o: Seq2SeqOptions): string | null {
  if (!(Number.isInteger(o.layers) && o.layers >= 1 && o.layers <= 2)) return `layers must be 1 or 2 (got ${o.layers})`;
  if (!(Number.isInteger(o.hidden) && o.hidden >= 8 && o.hidden <= 1024 && o.hidden % 8 === 0)) return `hidden must be a multiple of 8 from 8 to 1024 (got ${o.hidden})`;
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1 && o.batchSize <= 512)) return `batch must be 1–512 (got ${o.batchSize})`;
  if (!(o.learningRate > 0 && o.learningRate < 1)) return `learning rate must be in (0, 1) (got ${o.learningRate})`;
  if (!(o.clipNorm >= 0)) return `clip must be ≥ 0 (got ${o.clipNorm})`;
  if (!(Number.isInteger(o.beam) && o.beam >= 1 && o.beam <= 16)) return `beam width must be 1–16 (got ${o.beam})`;
  return null;
}

export interface Seq2SeqData {
  codec: PairCodec;
  train: EncodedPair[];
  heldOut: EncodedPair[];
  heldOutPairs: Pair[];
  /** Skipped lines, if any. */
  note: string | null;
  maxSource: number;
  maxTarget: number;
  /** Characters of source and target text per training pass (for characters per second). */
  trainChars: number;
}

/** Parses, checks and encodes a file of pairs; throws an Error whose message is for the user. */
export function prepareSeq2Seq(text: string, o: Pick<Seq2SeqOptions, 'tokens' | 'maxVocab'>, given?: PairCodec): Seq2SeqData {
  const parsed = parsePairs(text);
  const problem = checkPairs(parsed);
  if (problem) throw new Error(problem);
  const { train, heldOut } = splitHeldOut(parsed.pairs);
  // A resumed model keeps its vocabulary; tokens it does not know read as unknown.
  const codec = given ?? buildPairCodec(o.tokens, parsed.pairs, o.maxVocab);
  const enc = encodePairs(codec, train);
  const held = encodePairs(codec, heldOut);
  const all = [...enc, ...held];
  return {
    codec, train: enc, heldOut: held, heldOutPairs: heldOut, note: skippedNote(parsed),
    maxSource: Math.max(...all.map((p) => p.source.length)),
    maxTarget: Math.max(...all.map((p) => p.target.length)),
    trainChars: train.reduce((n, p) => n + p.source.length + p.target.length, 0),
  };
}

export interface Evaluation {
  /** Share of target tokens (with the end marker) written right at their position. */
  tokenAccuracy: number;
  /** Share of pairs whose whole target was written exactly. */
  exactMatch: number;
  pairs: number;
  /** The first few held-out pairs with their decodings. */
  examples: { source: string; target: string; output: string; correct: boolean }[];
}

/** Batch of the model: the batch asked for, rounded up to a multiple of 4 (the kernels' tile). */
export const modelBatch = (batchSize: number) => Math.ceil(batchSize / 4) * 4;

export class Seq2SeqTrainer {
  private readonly rng: Rng;
  private queue: PairBatch[] = [];
  epoch = 0;
  step = 0;
  private beamModel: FusedSeq2Seq | undefined;

  private constructor(readonly data: Seq2SeqData, readonly options: Seq2SeqOptions, readonly model: FusedSeq2Seq) {
    this.rng = new Rng(options.seed * 7919 + 17);
  }

  static async create(data: Seq2SeqData, options: Seq2SeqOptions, wasmDir: string): Promise<Seq2SeqTrainer> {
    const problem = checkSeq2SeqOptions(options);
    if (problem) throw new Error(problem);
    const mod = await FusedModule.load(wasmDir);
    const shape = { cell: options.cell, layers: options.layers, hidden: options.hidden, vocab: data.codec.vocab.size, attention: options.attention, bidirectional: options.bidirectional };
    const model = new FusedSeq2Seq(mod, shape, modelBatch(options.batchSize), data.maxSource, data.maxTarget, options.seed);
    return new Seq2SeqTrainer(data, options, model);
  }

  /** One training step on the next batch (a new epoch starts when the last one is used). */
  trainStep(): Seq2SeqStep & { chars: number } {
    if (this.queue.length === 0) {
      this.queue = epochBatches(this.data.train, this.options.batchSize, this.rng);
      this.epoch++;
    }
    const batch = this.queue.pop()!;
    const r = this.model.step(padBatch(batch, this.model.batch), { learningRate: this.options.learningRate, clipNorm: this.options.clipNorm });
    if (r.finite) this.step++;
    let chars = 0;
    for (let b = 0; b < batch.size; b++) chars += batch.sourceLength[b];
    return { ...r, chars: chars + batch.tokens };
  }

  /** Longest output a decoding may write. */
  get maxDecodeSteps(): number {
    return 2 * this.data.maxTarget + 10;
  }

  /** Greedy decoding of the held-out pairs (at most `limit` of them). */
  evaluate(limit = Infinity, examples = 5): Evaluation {
    const pairs = this.data.heldOut.slice(0, limit);
    const outputs = this.decodeMany(pairs.map((p) => p.source));
    let right = 0;
    let tokens = 0;
    const exact = pairs.map((p, i) => {
      const out = outputs[i].ids;
      for (let t = 0; t < p.target.length; t++) if (out[t] === p.target[t]) right++;
      tokens += p.target.length;
      return out.length === p.target.length && out.every((id, t) => id === p.target[t]);
    });
    const { codec } = this.data;
    return {
      tokenAccuracy: tokens ? right / tokens : 0,
      exactMatch: pairs.length ? exact.filter(Boolean).length / pairs.length : 0,
      pairs: pairs.length,
      examples: pairs.slice(0, examples).map((_, i) => {
        const output = codec.decode(outputs[i].ids);
        const { source, target } = this.data.heldOutPairs[i];
        return { source, target, output, correct: exact[i] };
      }),
    };
  }

  /** Greedy decodings of many sources, batched by length; in the order given. */
  decodeMany(sources: readonly Int32Array[]): Decoded[] {
    const out: Decoded[] = new Array<Decoded>(sources.length);
    const B = this.model.batch;
    for (const group of byLength(sources.map((source) => ({ source, target: new Int32Array(0) }))).values()) {
      for (let k = 0; k < group.length; k += B) {
        const part = group.slice(k, k + B);
        greedyDecode(this.model, part.map((i) => sources[i]), this.maxDecodeSteps).forEach((d, j) => { out[part[j]] = d; });
      }
    }
    return out;
  }

  /** Decodes one source text with the beam width of the options (1: greedy). */
  translate(text: string, width = this.options.beam): Decoded & { text: string } {
    const source = this.data.codec.source(text);
    if (source.length === 0) throw new Error('nothing to translate: the source has no tokens');
    if (source.length > this.model.maxSource) throw new Error(`the source has ${source.length} tokens; this model reads at most ${this.model.maxSource}`);
    let d: Decoded;
    if (width === 1) d = greedyDecode(this.model, [source], this.maxDecodeSteps)[0];
    else {
      const B = modelBatch(width);
      if (!this.beamModel || this.beamModel.batch !== B) {
        this.beamModel = new FusedSeq2Seq(this.model.mod, this.model.shape, B, this.model.maxSource, this.model.maxTarget, 1);
      }
      this.beamModel.copyWeightsFrom(this.model);
      d = beamDecode(this.beamModel, source, width, this.maxDecodeSteps);
    }
    return { ...d, text: this.data.codec.decode(d.ids) };
  }
}

/** Markers after the unknown token (pad, start, end), which a checkpoint does not list. */
const MARKERS = 3;

/** The checkpoint config's kind for sequence-to-sequence models (language models have none). */
export const SEQ2SEQ_KIND = 'seq2seq';

/** A trained model as checkpoint data: options, lengths, the shared vocabulary, weights and Adam state. */
export function seq2seqCheckpoint(t: Seq2SeqTrainer, metrics: Checkpoint['metrics']): Checkpoint {
  const m = t.model;
  return {
    config: { kind: SEQ2SEQ_KIND, ...t.options, maxSource: t.data.maxSource, maxTarget: t.data.maxTarget, steps: t.step },
    // The text's tokens; the three markers after the unknown token are implied by the kind.
    vocab: { mode: t.data.codec.mode, tokens: [t.data.codec.vocab.tokens[0], ...t.data.codec.vocab.tokens.slice(MARKERS + 1)] },
    weights: m.params.map((p) => ({ name: p.key, shape: p.shape, data: m.values(p).slice() })),
    optimizer: {
      name: 'adam', step: m.steps,
      slots: m.params.flatMap((p) => [
        { name: `${p.key}/m`, shape: p.shape, data: m.mod.f32(p.m, p.n).slice() },
        { name: `${p.key}/v`, shape: p.shape, data: m.mod.f32(p.v, p.n).slice() },
      ]),
    },
    metrics,
    bestValLoss: null,
    createdAt: new Date().toISOString(),
  };
}

/** The vocabulary a seq2seq checkpoint was trained with (to encode more pairs for it). */
export function seq2seqCodecOf(c: Checkpoint): PairCodec {
  if (c.config.kind !== SEQ2SEQ_KIND) throw new Error('this checkpoint holds a language model, not a sequence-to-sequence model');
  return pairCodecFromTokens(c.vocab.mode, [c.vocab.tokens[0], PAD, BOS, EOS, ...c.vocab.tokens.slice(1)]);
}

/** A trainer holding a checkpoint's model (for decoding, or to train on). */
export async function seq2seqFromCheckpoint(c: Checkpoint, wasmDir: string, data?: Seq2SeqData): Promise<Seq2SeqTrainer> {
  const cfg = c.config;
  if (cfg.kind !== SEQ2SEQ_KIND) throw new Error('this checkpoint holds a language model, not a sequence-to-sequence model');
  const options = { ...SEQ2SEQ_DEFAULTS } as Record<string, unknown>;
  for (const k of Object.keys(SEQ2SEQ_DEFAULTS)) if (k in cfg) options[k] = cfg[k];
  const o = options as unknown as Seq2SeqOptions;
  if (!(CELL_TYPES as readonly string[]).includes(o.cell) || !(ATTENTION_KINDS as readonly string[]).includes(o.attention) || typeof o.bidirectional !== 'boolean') {
    throw new Error('the checkpoint names a cell or attention this version does not know');
  }
  const maxSource = Number(cfg.maxSource);
  const maxTarget = Number(cfg.maxTarget);
  if (!(Number.isInteger(maxSource) && maxSource >= 1 && maxSource <= 4096 && Number.isInteger(maxTarget) && maxTarget >= 1 && maxTarget <= 4096)) {
    throw new Error('the checkpoint has no valid source and target lengths');
  }
  const codec = seq2seqCodecOf(c);
  const d: Seq2SeqData = data ?? { codec, train: [], heldOut: [], heldOutPairs: [], note: null, maxSource, maxTarget, trainChars: 0 };
  const t = await Seq2SeqTrainer.create({ ...d, maxSource: Math.max(d.maxSource, maxSource), maxTarget: Math.max(d.maxTarget, maxTarget) }, o, wasmDir);
  const m = t.model;
  if (codec.vocab.size !== m.shape.vocab) throw new Error('the vocabulary does not match the model');
  const byName = new Map(c.weights.map((w) => [w.name, w]));
  const slots = new Map((c.optimizer?.slots ?? []).map((w) => [w.name, w]));
  for (const p of m.params) {
    const w = byName.get(p.key);
    if (!w || w.data.length !== p.n) throw new Error(`the checkpoint's ${p.key} is missing or of another shape`);
    m.values(p).set(w.data);
    const sm = slots.get(`${p.key}/m`);
    const sv = slots.get(`${p.key}/v`);
    if (sm && sv && sm.data.length === p.n && sv.data.length === p.n) {
      m.mod.f32(p.m, p.n).set(sm.data);
      m.mod.f32(p.v, p.n).set(sv.data);
    }
  }
  m.steps = c.optimizer?.step ?? 0;
  t.step = Number.isInteger(cfg.steps) ? (cfg.steps as number) : m.steps;
  return t;
}
