/**
 * Continuing a run from a checkpoint: the model and vocabulary come from the checkpoint, the text
 * and the training settings from the caller.
 */
import type { TrainConfig } from '../protocol/runConfig';
import type { Checkpoint } from './checkpointFormat';
import { prepareRun, type PreparedRun } from './run';
import { configOf, restoreOptimizer, restoreRun, type RunMetrics } from './snapshot';
import { UNKNOWN_ID } from './tokens';
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

/**
 * A resumed run keeps the checkpoint's vocabulary: tokens of the text that are not in it are read
 * as the unknown token, and the run says how many. When more than this share of the training
 * tokens are unknown the text is not the one the model was trained on, and resuming is refused.
 */
export const MAX_UNKNOWN_SHARE = 0.5;

/** Why the text does not suit the checkpoint's vocabulary, or a note about the tokens it lacks, or null. */
function vocabularyFit(train: Int32Array, vocabSize: number, mode: string): { refuse: string } | { note: string } | null {
  let unknown = 0;
  for (let i = 0; i < train.length; i++) if (train[i] === UNKNOWN_ID) unknown++;
  if (unknown === 0) return null;
  const share = unknown / train.length;
  const percent = share < 0.001 ? '<0.1%' : `${(100 * share).toFixed(1)}%`;
  const what = mode === 'word' ? 'words' : 'characters';
  if (share > MAX_UNKNOWN_SHARE) {
    return {
      refuse: `${percent} of this text's ${what} are not in the checkpoint's vocabulary of ${vocabSize} tokens, ` +
        'so it is not the text the model was trained on; a resumed run keeps its vocabulary: train a new model on this text instead',
    };
  }
  return {
    note: `${unknown.toLocaleString('en')} of the ${train.length.toLocaleString('en')} training ${what} (${percent}) are not in the ` +
      `checkpoint's vocabulary of ${vocabSize} tokens; they are read as the unknown token.`,
  };
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
    const fit = vocabularyFit(run.train, restored.codec.vocab.size, restored.codec.mode);
    if (fit && 'refuse' in fit) throw new Error(fit.refuse);
    // The optimizer state does not depend on the batch, only the carried hidden state does.
    trainer = new Trainer(run.model, { optimizer: config.optimizer, learningRate: config.learningRate, clipNorm: config.clipNorm, batch: run.batch });
    const notes = [...run.notes];
    if (fit) notes.push(fit.note);
    const why = await restoreOptimizer(trainer, ckpt);
    if (why) notes.push(`Starting with a fresh optimizer: ${why}.`);
    return { run, trainer, step: restored.step, metrics: restored.metrics, bestValLoss: restored.bestValLoss, notes };
  } catch (e) {
    trainer?.dispose();
    restored.model.dispose();
    throw e;
  }
}
