/**
 * A whole training run on one text, shared by the worker and the CLI: builds the vocabulary,
 * splits and batches the data, trains within a step/time budget, validates, measures gradient
 * flow and samples.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DoneEvent } from '../protocol/workerProtocol';
import type { TrainConfig } from '../protocol/runConfig';
import { buildCodecFromTokens, tokenizeText, type Codec } from './codec';
import { fitBatching, heldOutCount, splitTrainVal, StreamBatcher } from './data';
import { sampleIds } from './infer';
import { SequenceModel } from './model';
import { Trainer, type GradByLag } from './trainer';

export interface PreparedRun {
  codec: Codec;
  train: Int32Array;
  val: Int32Array;
  batch: number;
  steps: number;
  model: SequenceModel;
  /** Adjustments made to the requested configuration, for the user. */
  notes: string[];
}

export function prepareRun(text: string, config: TrainConfig, model?: SequenceModel, codec?: Codec): PreparedRun {
  // Split once: the vocabulary comes from the training tokens only (the held-out tail may hold
  // unseen tokens), and the ids are read from the same tokens.
  const { tokens } = tokenizeText(codec?.mode ?? config.tokens, text);
  codec ??= buildCodecFromTokens(config.tokens, tokens.slice(0, tokens.length - heldOutCount(tokens.length, config.valFraction)));
  const { vocab } = codec;
  const ids = Int32Array.from(tokens, (t) => vocab.idOf(t));
  const { train, val } = splitTrainVal(ids, config.valFraction);
  const fit = fitBatching(train.length, config.batchSize, config.seqLength);
  const notes: string[] = [];
  if (fit.batch !== config.batchSize || fit.steps !== config.seqLength) {
    notes.push(`The text is short: training with ${fit.batch} streams of ${fit.steps} steps instead of ${config.batchSize} × ${config.seqLength}.`);
  }
  model ??= SequenceModel.create({
    cell: config.cell, layers: config.layers, hiddenSize: config.hiddenSize, vocabSize: codec.vocab.size, dropout: config.dropout,
  }, config.seed);
  return { codec, train, val, batch: fit.batch, steps: fit.steps, model, notes };
}

export interface StepInfo {
  step: number;
  loss: number;
  gradNorm: number;
  clipped: boolean;
  charsPerSec: number;
  elapsedMs: number;
}

export interface RunHooks {
  onStep?(info: StepInfo): void;
  onVal?(step: number, loss: number): void;
  onSample?(step: number, text: string): void;
  onGradByLag?(step: number, g: GradByLag, clipped: boolean): void;
  /** Checked between steps. */
  shouldStop?(): boolean;
  /** Called between steps so that messages (stop, predict) can be handled. */
  pause?(): Promise<void>;
}

/**
 * A loss this many times that of a uniform guess (ln V) means the run has blown up: a model that
 * confidently predicts the wrong tokens, typically after an exploding gradient threw its weights
 * far away.
 */
export const DIVERGED_FACTOR = 6;

/** How a run ended: the worker's `done` event without its envelope. */
export type RunSummary = Omit<DoneEvent, 'type' | 'runId'>;

/** Optional continuation of an earlier run (resume). */
export interface RunStart {
  trainer?: Trainer;
  /** Steps already taken. */
  step?: number;
}

export async function trainLoop(run: PreparedRun, config: TrainConfig, hooks: RunHooks = {}, start: RunStart = {}): Promise<RunSummary & { trainer: Trainer }> {
  const batcher = new StreamBatcher(run.train, run.batch, run.steps);
  const trainer = start.trainer ?? new Trainer(run.model, { optimizer: config.optimizer, learningRate: config.learningRate, clipNorm: config.clipNorm, batch: run.batch });
  const started = performance.now();
  let trainingMs = 0;
  let step = start.step ?? 0;
  const first = step;
  // Continue where the earlier run's data position was.
  for (let k = 0; k < first % batcher.windowsPerEpoch; k++) batcher.next();
  let trainLoss: number | null = null;
  let valLoss: number | null = null;
  let reason: RunSummary['reason'] = 'completed';
  let message: string | undefined;
  const tokensPerStep = run.batch * run.steps;
  const uniformLoss = Math.log(run.codec.vocab.size);
  const outOfBudget = () =>
    (config.maxSteps > 0 && step - first >= config.maxSteps) ||
    (config.maxSeconds > 0 && performance.now() - started >= config.maxSeconds * 1000);
  // Between validation windows the thread answers other requests (a stop, a save), as between
  // steps; a stop asked for meanwhile ends the validation there, without a result.
  const stopped = new Error('stopped');
  const yieldToOthers = async () => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (hooks.shouldStop?.()) throw stopped;
  };
  const validate = async () => {
    if (run.val.length < 2) return;
    try {
      const loss = await trainer.evaluate(run.val, run.steps, yieldToOthers);
      valLoss = loss;
      if (loss !== null) hooks.onVal?.(step, loss);
    } catch (e) {
      if (e !== stopped) throw e;
    }
  };
  while (!outOfBudget()) {
    if (hooks.shouldStop?.()) { reason = 'stopped'; break; }
    const measure = config.gradEvery > 0 && (step - first) % config.gradEvery === 0 && hooks.onGradByLag !== undefined;
    const t0 = performance.now();
    const result = trainer.step(batcher.next(), measure);
    trainingMs += performance.now() - t0;
    const advice = `Try a lower learning rate${config.clipNorm > 0 ? '' : ' or turn gradient clipping on'}.`;
    if (!result.finite) {
      reason = 'diverged';
      const what = Number.isNaN(result.loss) || Number.isNaN(result.gradNorm) ? 'NaN' : 'infinite';
      message = `Training stopped at step ${step + 1}: the loss or the gradients became ${what} (gradient norm ${result.gradNorm}). ` +
        `The weights from step ${step} are kept. ${advice}`;
      break;
    }
    if (result.loss > DIVERGED_FACTOR * uniformLoss) {
      // The step was applied; what matters is that the run has blown up.
      step += 1;
      trainLoss = result.loss;
      reason = 'diverged';
      message = `Training stopped at step ${step}: the loss jumped to ${result.loss.toFixed(2)} nats per token, more than ${DIVERGED_FACTOR}× ` +
        `the ${uniformLoss.toFixed(2)} of a uniform guess (gradient norm ${result.gradNorm.toPrecision(3)}${result.clipped ? ', clipped' : ''}): the run diverged. ${advice}`;
      break;
    }
    step += 1;
    trainLoss = result.loss;
    if (result.gradByLag) hooks.onGradByLag?.(step, result.gradByLag, result.clipped);
    hooks.onStep?.({
      step, loss: result.loss, gradNorm: result.gradNorm, clipped: result.clipped,
      charsPerSec: (tokensPerStep * (step - first)) / (trainingMs / 1000),
      elapsedMs: performance.now() - started,
    });
    if (config.valEvery > 0 && step % config.valEvery === 0) await validate();
    if (config.sampleEvery > 0 && step % config.sampleEvery === 0 && hooks.onSample) {
      hooks.onSample(step, run.codec.decode(sampleIds(run.model, run.codec.vocab, { length: run.codec.mode === 'word' ? 60 : 200, temperature: 0.8, seed: config.seed + step })));
    }
    await hooks.pause?.();
  }
  // A run the user stopped ends now; one that ran its course is validated at its last step.
  if (reason !== 'stopped' && step > first && (config.valEvery <= 0 || step % config.valEvery !== 0)) await validate();
  return {
    reason,
    steps: step,
    trainLoss,
    valLoss,
    charsPerSec: trainingMs > 0 ? (tokensPerStep * (step - first)) / (trainingMs / 1000) : 0,
    message,
    trainer,
  };
}

/** Number of live tfjs tensors, for leak checks. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}
