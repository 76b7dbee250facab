/**
 * Between the engine thread and its training thread: the engine asks a run to start, stop or
 * write a checkpoint; the training thread answers, forwards the run's events for the host, and
 * sends the model's weights after steps (at most every WEIGHTS_EVERY_MS) so that the engine's copy,
 * which answers hovers, traces and samples, follows the run without ever waiting for a step.
 */
import type { ModelShape } from '../engine/model';
import type { RunMetrics } from '../engine/snapshot';
import type { TokenChoice } from '../protocol/runConfig';
import type { TrainAccepted, TrainRequest, WorkerToHost } from '../protocol/workerProtocol';

/**
 * Weights go to the engine's copy after the first step that ends this long after the last refresh
 * (and after the last step): a copy at most about half a second old, and kept document states that
 * last a while between refreshes.
 */
export const WEIGHTS_EVERY_MS = 400;

export type ToTrainer =
  | { type: 'start'; request: TrainRequest }
  | { type: 'stop' }
  | { type: 'save'; id: number; path: string };

/** The model's parameters in `SequenceModel.named` order, with the step they are from. */
export interface WeightsMessage {
  type: 'weights';
  step: number;
  values: Float32Array[];
}

export interface StartedMessage {
  type: 'started';
  accepted: TrainAccepted;
  shape: ModelShape;
  vocabulary: { mode: TokenChoice; tokens: string[] };
  metrics: RunMetrics;
  bestValLoss: number | null;
  /** The weights before the first step (a resumed run's are the checkpoint's). */
  weights: WeightsMessage;
}

export type FromTrainer =
  | StartedMessage
  | { type: 'refused'; error: string }
  | WeightsMessage
  /** A run event for the host (steps, val, sample, gradByLag, checkpoint, log, done). */
  | { type: 'event'; event: Exclude<WorkerToHost, { type: 'reply' }> }
  | { type: 'saved'; id: number; step: number }
  | { type: 'saveFailed'; id: number; error: string };
