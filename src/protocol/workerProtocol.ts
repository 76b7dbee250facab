/**
 * The door between the extension host and the engine worker.
 * Shared by both sides; no `vscode` import.
 */
import type { Reply } from './messages';

/** Everything a training run needs to know. Mirrors the `lstmLab.train.*` settings. */
export interface TrainConfig {
  /** LSTM hidden units. */
  hiddenSize: number;
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

export type HostToWorker = TrainRequest | StopRequest | PredictRequest;

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
}

export interface StepPoint {
  step: number;
  loss: number;
  gradNorm: number;
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

export type WorkerToHost = Reply | StepsEvent | ValEvent | SampleEvent | DoneEvent | LogEvent;
