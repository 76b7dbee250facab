/**
 * Continuing a run from a checkpoint: the model and vocabulary come from the checkpoint, the text
 * and the training settings from the caller.
 */
import type { TrainConfig } from '../protocol/workerProtocol';
import type { Checkpoint } from './checkpoint';
import { prepareRun, type PreparedRun } from './run';
import { configOf, restoreOptimizer, restoreRun, type RunMetrics } from './snapshot';
import { Trainer } from './trainer';

/** The settings that define the model; a resumed run cannot change them. */
export const MODEL_DEFINING = ['cell', 'layers', 'hiddenSize', 'tokens'] as const;

export interface ResumedRun {
  run: PreparedRun;
  trainer: Trainer;
  /** Steps the checkpoint had taken. */
  step: number;
  metrics: RunMetrics;
  bestValLoss: number | null;
  notes: string[];
}

export async function resumeRun(ckpt: Checkpoint, text: string, config: TrainConfig): Promise<ResumedRun> {
  const saved = configOf(ckpt);
  for (const k of MODEL_DEFINING) {
    if (config[k] !== saved[k]) throw new Error(`the checkpoint has ${k} ${saved[k]}; a resumed run cannot change it to ${config[k]}`);
  }
  const restored = await restoreRun(ckpt, config);
  let trainer: Trainer | undefined;
  try {
    const run = prepareRun(text, config, restored.model, restored.codec);
    // The optimizer state does not depend on the batch, only the carried hidden state does.
    trainer = new Trainer(run.model, { optimizer: config.optimizer, learningRate: config.learningRate, clipNorm: config.clipNorm, batch: run.batch });
    const notes = [...run.notes];
    const why = await restoreOptimizer(trainer, ckpt);
    if (why) notes.push(`Starting with a fresh optimizer: ${why}.`);
    return { run, trainer, step: restored.step, metrics: restored.metrics, bestValLoss: restored.bestValLoss, notes };
  } catch (e) {
    trainer?.dispose();
    restored.model.dispose();
    throw e;
  }
}
