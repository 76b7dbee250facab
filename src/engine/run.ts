/**
 * A whole training run on one text, shared by the worker and the CLI: builds the vocabulary,
 * splits and batches the data, trains within a step/time budget, validates and samples.
 */
import * as tf from '@tensorflow/tfjs';
import type { DoneEvent, RunEndReason, TrainConfig } from '../protocol/workerProtocol';
import { fitBatching, splitTrainVal, StreamBatcher } from './data';
import { sample } from './infer';
import { CharModel } from './model';
import { buildCharVocabulary, encode, type Vocabulary } from './tokens';
import { evaluate, Trainer } from './trainer';

export interface PreparedRun {
  vocab: Vocabulary;
  train: Int32Array;
  val: Int32Array;
  batch: number;
  steps: number;
  model: CharModel;
  /** Adjustments made to the requested configuration, for the user. */
  notes: string[];
}

export function prepareRun(text: string, config: TrainConfig): PreparedRun {
  const vocab = buildCharVocabulary(text);
  const ids = encode(text, vocab);
  const { train, val } = splitTrainVal(ids, config.valFraction);
  const fit = fitBatching(train.length, config.batchSize, config.seqLength);
  const notes: string[] = [];
  if (fit.batch !== config.batchSize || fit.steps !== config.seqLength) {
    notes.push(`The text is short: training with ${fit.batch} streams of ${fit.steps} steps instead of ${config.batchSize} × ${config.seqLength}.`);
  }
  const model = CharModel.create({ vocabSize: vocab.size, hiddenSize: config.hiddenSize }, config.seed);
  return { vocab, train, val, batch: fit.batch, steps: fit.steps, model, notes };
}

export interface StepInfo {
  step: number;
  loss: number;
  gradNorm: number;
  charsPerSec: number;
  elapsedMs: number;
}

export interface RunHooks {
  onStep?(info: StepInfo): void;
  onVal?(step: number, loss: number): void;
  onSample?(step: number, text: string): void;
  /** Checked between steps. */
  shouldStop?(): boolean;
  /** Called between steps so that messages (stop, predict) can be handled. */
  pause?(): Promise<void>;
}

/** How a run ended: the worker's `done` event without its envelope. */
export type RunSummary = Omit<DoneEvent, 'type' | 'runId'>;

export async function trainLoop(run: PreparedRun, config: TrainConfig, hooks: RunHooks = {}): Promise<RunSummary> {
  const batcher = new StreamBatcher(run.train, run.batch, run.steps);
  const trainer = new Trainer(run.model, { learningRate: config.learningRate, clipNorm: config.clipNorm, batch: run.batch });
  const started = performance.now();
  let trainingMs = 0;
  let step = 0;
  let trainLoss: number | null = null;
  let valLoss: number | null = null;
  let reason: RunEndReason = 'completed';
  let message: string | undefined;
  const charsPerStep = run.batch * run.steps;
  const outOfBudget = () =>
    (config.maxSteps > 0 && step >= config.maxSteps) ||
    (config.maxSeconds > 0 && performance.now() - started >= config.maxSeconds * 1000);
  const validate = () => {
    if (run.val.length < 2) return;
    valLoss = evaluate(run.model, run.val, run.batch, run.steps);
    if (valLoss !== null) hooks.onVal?.(step, valLoss);
  };
  try {
    while (!outOfBudget()) {
      if (hooks.shouldStop?.()) { reason = 'stopped'; break; }
      const t0 = performance.now();
      const result = trainer.step(batcher.next());
      trainingMs += performance.now() - t0;
      if (!result.finite) {
        reason = 'diverged';
        message = `Training stopped at step ${step + 1}: the loss or the gradients became ${Number.isNaN(result.loss) || Number.isNaN(result.gradNorm) ? 'NaN' : 'infinite'} ` +
          `(gradient norm ${result.gradNorm}). The weights from step ${step} are kept. Try a lower learning rate or turn clipping on.`;
        break;
      }
      step += 1;
      trainLoss = result.loss;
      hooks.onStep?.({
        step,
        loss: result.loss,
        gradNorm: result.gradNorm,
        charsPerSec: (charsPerStep * step) / (trainingMs / 1000),
        elapsedMs: performance.now() - started,
      });
      if (config.valEvery > 0 && step % config.valEvery === 0) validate();
      if (config.sampleEvery > 0 && step % config.sampleEvery === 0 && hooks.onSample) {
        hooks.onSample(step, sample(run.model, run.vocab, { length: 200, temperature: 0.8, seed: config.seed + step }));
      }
      await hooks.pause?.();
    }
    if (step > 0 && (config.valEvery <= 0 || step % config.valEvery !== 0)) validate();
  } finally {
    trainer.dispose();
  }
  return {
    reason,
    steps: step,
    trainLoss,
    valLoss,
    charsPerSec: trainingMs > 0 ? (charsPerStep * step) / (trainingMs / 1000) : 0,
    message,
  };
}

/** Number of live tfjs tensors, for leak checks. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}
