/**
 * The worker door's read-only requests and their answers: predictions, traces, hovers and overlay
 * values, unit search, surprisal and samples, and the document copies they read. The unions of
 * the door are in workerProtocol.ts. Shared by both sides; no `vscode` import.
 */

/** Next-token distribution after `context` (the text before the hovered position). */
export interface PredictRequest {
  type: 'predict';
  id: number;
  context: string;
  /** The character that actually follows, if any. */
  next: string | null;
  topK: number;
}

/**
 * Gate and state traces of every layer over `text` (batch 1, from a zero state), or over
 * [start, end) of a mirrored document, read on from the document's kept states.
 */
export interface TraceRequest {
  type: 'trace';
  id: number;
  text: string;
  doc?: DocSpan;
}

/** A stretch of a mirrored document, in UTF-16 offsets. */
export interface DocSpan {
  key: string;
  start: number;
  end: number;
}

/** Mirrors a document in the engine (replacing any earlier copy under the same key). */
export interface DocOpenRequest {
  type: 'docOpen';
  id: number;
  key: string;
  text: string;
}

/** One replacement in a document; a change list is applied in order, each on the result of the one before. */
export interface DocChange {
  offset: number;
  removed: number;
  text: string;
}

/** Edits of a mirrored document; `length` is the document's length after them, as a check. */
export interface DocEditRequest {
  type: 'docEdit';
  id: number;
  key: string;
  changes: DocChange[];
  length: number;
}

export interface DocCloseRequest {
  type: 'docClose';
  id: number;
  key: string;
}

/** The prediction at the token that covers `offset` of a mirrored document. */
export interface HoverRequest {
  type: 'hover';
  id: number;
  key: string;
  offset: number;
  topK: number;
}

export interface HoverResult {
  runId: string;
  mode: 'char' | 'word';
  /** The hovered token and its UTF-16 range in the document. */
  token: string;
  start: number;
  end: number;
  /** False when the hovered token is not in the vocabulary (the model read the unknown token). */
  known: boolean;
  top: TokenProb[];
  /** The token that actually follows (null at the end of the document). */
  actual: (TokenProb & { surprisalBits: number; known: boolean }) | null;
  /** Per layer: each sigmoid gate's mean over the units at the hovered token. */
  gates: Record<string, number>[];
  /** Model steps run for this hover, and whether they started from a kept state. */
  steps: number;
  cached: boolean;
  /** The training step whose weights answered (they follow a training run within a fraction of a second). */
  weightsStep: number;
}

/** Per-token values over [start, end) of a mirrored document, for the editor overlays. */
export interface SpanRequest {
  type: 'span';
  id: number;
  key: string;
  start: number;
  end: number;
  surprisal?: boolean;
  unit?: UnitRef;
}

/** One unit: its layer (0-based), the traced name (a gate, 'c' or 'h') and its index. */
export interface UnitRef {
  layer: number;
  name: string;
  unit: number;
}

export interface SpanValues {
  runId: string;
  /** UTF-16 range of each token in the document. */
  starts: Int32Array;
  ends: Int32Array;
  /** Surprisal in bits (NaN for the document's first token). */
  bits?: Float32Array;
  unit?: Float32Array;
  steps: number;
}

/** Units whose activation follows a mask of matches over [start, end) of a mirrored document. */
export interface UnitSearchRequest {
  type: 'unitSearch';
  id: number;
  key: string;
  start: number;
  end: number;
  /** UTF-16 ranges of the matches (sorted, not overlapping). */
  matches: { start: number; end: number }[];
  /** How many units to report. */
  top: number;
}

export interface UnitScore extends UnitRef {
  /** Pearson correlation of the unit's activation with the match mask, over the tokens read. */
  r: number;
  /** Mean activation inside and outside the matches. */
  inside: number;
  outside: number;
}

export interface UnitSearchResult {
  runId: string;
  /** Tokens read, and how many of them fall in a match. */
  tokens: number;
  positives: number;
  /** UTF-16 end of the stretch read (a long document is read up to a limit). */
  end: number;
  units: UnitScore[];
}

/** Surprisal of every token of `text` given the tokens before it. */
export interface SurprisalRequest {
  type: 'surprisal';
  id: number;
  text: string;
}

/** A sample from the current model. */
export interface SampleRequest {
  type: 'sample';
  id: number;
  /** Tokens to generate. */
  length: number;
  temperature: number;
  seed: number;
  /** Text the model reads first (the sample continues it). */
  prime?: string;
}

export interface SampleResult {
  runId: string;
  text: string;
}

export interface TraceResult {
  runId: string;
  tokens: string[];
  /** UTF-16 offset of each token in the text. */
  offsets: Int32Array;
  /** Per layer: [tokens × units] row-major activations by name (gates, then c and h). */
  layers: { units: number; values: Record<string, Float32Array> }[];
  /** Per layer and gate: the fraction of tokens each unit is below 0.1 / above 0.9. */
  saturation: Record<string, { left: Float32Array; right: Float32Array }>[];
}

export interface SurprisalResult {
  runId: string;
  tokens: string[];
  offsets: Int32Array;
  /** Bits; entry 0 is NaN (nothing predicts the first token). */
  bits: Float32Array;
}

export interface TokenProb {
  token: string;
  p: number;
}

export interface PredictResult {
  runId: string;
  top: TokenProb[];
  /** Probability of the character that actually follows (null when at the end or unknown). */
  actual: (TokenProb & { surprisalBits: number; known: boolean }) | null;
  contextChars: number;
  /** Per layer: each sigmoid gate's mean over the units at the hovered token (empty for a vanilla RNN). */
  gates: Record<string, number>[];
  /** The training step whose weights answered. */
  weightsStep: number;
}
