/**
 * The door between the extension host and the engine worker: the unions of messages in either
 * direction, the training, save and load requests, and the events of a run. The read-only
 * requests (predictions, traces, hovers, …) are in inspectionMessages.ts. Shared by both sides;
 * no `vscode` import.
 */
import type { Reply } from './messages';
import type {
  DocCloseRequest, DocEditRequest, DocOpenRequest, HoverRequest, PredictRequest, SampleRequest, SpanRequest, SurprisalRequest, TraceRequest, UnitSearchRequest,
} from './inspectionMessages';
import type { TrainConfig } from './runConfig';

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

/** Memory of the engine thread: tfjs tensors and the thread's heap. */
export interface StatsRequest {
  type: 'stats';
  id: number;
}

export interface EngineStats {
  numTensors: number;
  numBytes: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
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

/** Writes the checkpoint at `path` as safetensors for PyTorch at `outPath` (docs/export.md). */
export interface ExportTorchRequest {
  type: 'exportTorch';
  id: number;
  path: string;
  outPath: string;
}

/** What an export wrote. */
export interface ExportTorchResult {
  bytes: number;
  tensors: number;
  cell: string;
  layers: number;
  hiddenSize: number;
  vocabSize: number;
  /** The `torch.nn` module that loads it, or 'none' for cells PyTorch lacks. */
  torchModule: string;
  /** A sequence-to-sequence model's attention (none, dot, additive); null for a language model. */
  attention: string | null;
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

export type HostToWorker =
  | TrainRequest | StopRequest | PredictRequest | TraceRequest | SurprisalRequest | SampleRequest | SaveRequest | LoadRequest | ExportTorchRequest
  | DocOpenRequest | DocEditRequest | DocCloseRequest | HoverRequest | SpanRequest | UnitSearchRequest | StatsRequest;

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
