/**
 * The door between the extension host and the engine worker.
 * Shared by both sides; no `vscode` import.
 */
import type { Reply } from './messages';

export type CellName = 'rnn' | 'lstm' | 'noforget' | 'peephole' | 'cifg' | 'gru';
export type OptimizerChoice = 'adam' | 'rmsprop' | 'sgd';
export type TokenChoice = 'char' | 'word';

/** Everything a training run needs to know. Mirrors the `lstmLab.train.*` settings. */
export interface TrainConfig {
  cell: CellName;
  /** Stacked recurrent layers (1–4). */
  layers: number;
  /** Hidden units per layer. */
  hiddenSize: number;
  /** Dropout between layers while training. */
  dropout: number;
  optimizer: OptimizerChoice;
  tokens: TokenChoice;
  /** Measure gradient norms by lag every N steps (0 = never). */
  gradEvery: number;
  /** Threads training data-parallel (one core each). */
  workers: number;
  /** Truncated BPTT window length T. */
  seqLength: number;
  /** Parallel streams B. */
  batchSize: number;
  learningRate: number;
  /** Clip gradients by global norm; 0 turns clipping off. */
  clipNorm: number;
  /** Wall-clock budget in seconds (0 = no limit). */
  maxSeconds: number;
  /** Step budget (0 = no limit). */
  maxSteps: number;
  /** Fraction of the text held out at the end for validation. */
  valFraction: number;
  /** Evaluate validation loss every N steps. */
  valEvery: number;
  /** Generate a short sample every N steps (0 = never). */
  sampleEvery: number;
  seed: number;
}

export interface TrainRequest {
  type: 'train';
  id: number;
  runId: string;
  text: string;
  config: TrainConfig;
  /** Continue from this checkpoint (weights, optimizer state, step, metrics) instead of a fresh model. */
  resumeFrom?: string;
  /** Where to keep the run's checkpoint: written every `checkpointEveryMs` and when the run ends. */
  checkpointPath?: string;
  checkpointEveryMs?: number;
}

export interface StopRequest {
  type: 'stop';
  id: number;
}

/** Next-token distribution after `context` (the text before the hovered position). */
export interface PredictRequest {
  type: 'predict';
  id: number;
  context: string;
  /** The character that actually follows, if any. */
  next: string | null;
  topK: number;
}

/** Gate and state traces of every layer over `text` (batch 1, from a zero state). */
export interface TraceRequest {
  type: 'trace';
  id: number;
  text: string;
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

/** Writes the current model (between two steps when training) to a checkpoint file. */
export interface SaveRequest {
  type: 'save';
  id: number;
  path: string;
}

/** Makes a checkpoint's model the current one, for predictions, traces and samples. */
export interface LoadRequest {
  type: 'load';
  id: number;
  runId: string;
  path: string;
}

export interface SaveResult {
  runId: string;
  step: number;
  path: string;
}

export interface LoadResult {
  runId: string;
  config: TrainConfig;
  step: number;
  vocabSize: number;
  train: { step: number; loss: number }[];
  val: { step: number; loss: number }[];
  bestValLoss: number | null;
}

export type HostToWorker = TrainRequest | StopRequest | PredictRequest | TraceRequest | SurprisalRequest | SampleRequest | SaveRequest | LoadRequest;

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
}

export interface TrainAccepted {
  runId: string;
  /** Batch and window actually used (the text may be too short for the requested ones). */
  batchSize: number;
  seqLength: number;
  notes: string[];
  vocabSize: number;
  trainTokens: number;
  valTokens: number;
  parameters: number;
  backend: string;
  /** Steps taken before this run (non-zero when resuming). */
  startStep: number;
}

export interface StepPoint {
  step: number;
  loss: number;
  gradNorm: number;
  /** Seconds since this training loop started (a resumed run starts again from 0). */
  seconds: number;
}

/** Training steps since the last event (sent at most a few times per second). */
export interface StepsEvent {
  type: 'steps';
  runId: string;
  points: StepPoint[];
  charsPerSec: number;
  elapsedMs: number;
}

export interface ValEvent {
  type: 'val';
  runId: string;
  step: number;
  loss: number;
  /** Seconds since this training loop started at the step validated (as that step's point). */
  seconds: number;
}

export interface SampleEvent {
  type: 'sample';
  runId: string;
  step: number;
  text: string;
}

export type RunEndReason = 'completed' | 'stopped' | 'diverged' | 'failed';

export interface DoneEvent {
  type: 'done';
  runId: string;
  reason: RunEndReason;
  steps: number;
  trainLoss: number | null;
  valLoss: number | null;
  charsPerSec: number;
  message?: string;
}

export interface LogEvent {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** Gradient norms by lag (index 0 = the window's last time step) for the top layer. */
export interface GradByLagEvent {
  type: 'gradByLag';
  runId: string;
  step: number;
  /** ‖∂ℓ_T/∂h_{T−k}‖ of the last step's loss */ h: number[];
  /** ‖∂ℓ_T/∂c_{T−k}‖ (empty without a cell state) */ c: number[];
  /** ‖∂L/∂h_{T−k}‖ of the whole window's loss */ hTotal: number[];
  clipped: boolean;
}

/** The run's checkpoint was written. */
export interface CheckpointEvent {
  type: 'checkpoint';
  runId: string;
  step: number;
  path: string;
}

export type WorkerToHost = Reply | StepsEvent | GradByLagEvent | ValEvent | SampleEvent | DoneEvent | LogEvent | CheckpointEvent;
