/**
 * The engine's current model: the one that answers predictions, traces, hovers and samples (a
 * training run's from its first step, or a loaded checkpoint's), with a version that changes
 * whenever its weights do, so that kept document states never outlive the weights that read them.
 */
import type { Codec } from '../engine/codec';
import type { SequenceModel } from '../engine/model';
import type { RunMetrics } from '../engine/snapshot';
import type { Trainer } from '../engine/trainer';
import type { TrainConfig } from '../protocol/runConfig';
import type { MirroredDocuments } from './documents';

export interface TrainedModel {
  runId: string;
  model: SequenceModel;
  codec: Codec;
  config: TrainConfig;
  progress: RunProgress;
}

/** What a run has learned so far, as a checkpoint records it. */
export interface RunProgress {
  trainer: Trainer | undefined;
  step: number;
  metrics: RunMetrics;
  bestValLoss: number | null;
}

export class ModelSlot {
  private latest: TrainedModel | undefined;
  /** Counts model replacements and out-of-band weight changes. */
  private serial = 0;

  constructor(private readonly docs: MirroredDocuments) {}

  /** The current model; asking before there is one is an error the host shows. */
  get current(): TrainedModel {
    if (!this.latest) throw new Error('no trained model yet');
    return this.latest;
  }

  /** Which weights the kept states were read with: the model and its step. */
  get version(): string {
    return `${this.serial}:${this.current.progress.step}`;
  }

  /** Makes `next` the model that answers predictions, disposing the one it replaces. */
  adopt(next: TrainedModel): void {
    const previous = this.latest;
    this.latest = next;
    this.serial++;
    // Kept states belong to the model that read them (their memory goes now, not at the next look).
    this.docs.clearStates();
    if (previous && previous.model !== next.model) previous.model.dispose();
  }

  /** The weights changed without a step being counted (a step that stopped the run). */
  weightsChanged(): void {
    this.serial++;
  }
}
