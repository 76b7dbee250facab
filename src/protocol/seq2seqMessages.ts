/**
 * Between the extension host and the sequence-to-sequence thread (src/seq2seq/seq2seqMain.ts):
 * a run starts on a file of pairs, reports its progress, and answers decodings between steps.
 * No `vscode` import.
 */
import type { CellName, TokenChoice } from './runConfig';

export type Seq2SeqAttention = 'none' | 'dot' | 'additive';

export interface Seq2SeqRunOptions {
  cell: CellName;
  layers: number;
  hidden: number;
  attention: Seq2SeqAttention;
  bidirectional: boolean;
  tokens: TokenChoice;
  batchSize: number;
  learningRate: number;
  beam: number;
  seed: number;
  /** Training time, seconds (0: until stopped). */
  maxSeconds: number;
}

/** Where a run keeps its model: the checkpoint written when it ends, and the one it continues (null: a new model). */
export interface Seq2SeqFiles {
  save: string | null;
  resume: string | null;
}

export type ToSeq2Seq =
  | { type: 'start'; runId: string; text: string; options: Seq2SeqRunOptions; files: Seq2SeqFiles }
  | { type: 'stop' }
  | { type: 'translate'; id: number; source: string }
  /** Makes a checkpoint's model the one that decodes (refused while a run trains). */
  | { type: 'load'; id: number; path: string };

/** Where the decoder looked: for each written token, weights over the source tokens. */
export interface AttentionMap {
  source: string[];
  output: string[];
  /** [output][source], each row sums to 1. */
  weights: number[][];
  /** Probability of each written token. */
  probs: number[];
}

export interface Seq2SeqExample {
  source: string;
  target: string;
  output: string;
  correct: boolean;
}

export interface Seq2SeqEval {
  step: number;
  /** Seconds of training so far. */
  seconds: number;
  /** Mean training loss since the last evaluation (nats per target token). */
  loss: number;
  tokenAccuracy: number;
  exactMatch: number;
}

export type FromSeq2Seq =
  | {
    type: 'started'; runId: string; trainPairs: number; heldOutPairs: number; vocabSize: number; note: string | null; batch: number;
    /** The model's options: a continued run's come from its checkpoint. */
    options: Seq2SeqRunOptions;
    /** The step a continued run starts from (0 for a new model). */
    fromStep: number;
  }
  | { type: 'refused'; runId: string; error: string }
  | { type: 'progress'; runId: string; step: number; loss: number; tokensPerSec: number }
  | {
    type: 'eval'; runId: string; eval: Seq2SeqEval; examples: Seq2SeqExample[];
    /** The first held-out pair's decoding and attention (null without attention). */
    attention: AttentionMap | null;
    /** ‖∂L/∂h_i‖ by source position, from the last step. */
    sourceGradNorms: number[];
  }
  | {
    type: 'done'; runId: string; reason: 'completed' | 'stopped' | 'failed'; message: string | null; steps: number;
    /** The checkpoint written at the end (null: none asked for, or it could not be written; then `message` says why). */
    checkpoint: string | null;
  }
  | { type: 'loaded'; id: number; ok: true; options: Seq2SeqRunOptions; step: number }
  | { type: 'loaded'; id: number; ok: false; error: string }
  | { type: 'translated'; id: number; ok: true; output: string; tokens: string[]; probs: number[]; attention: AttentionMap | null; step: number }
  | { type: 'translated'; id: number; ok: false; error: string };
