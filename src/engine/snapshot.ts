/**
 * Between a live run (model, optimizer, vocabulary, metrics) and a checkpoint (plain data).
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../protocol/workerProtocol';
import type { CellType } from './cells/cell';
import type { Checkpoint, TensorRecord } from './checkpoint';
import { codecFromTokens, type Codec, type TokenMode } from './codec';
import { SequenceModel, type ModelShape } from './model';
import { Trainer, type TrainerOptions } from './trainer';
import { validateTrainConfig } from '../settings';

export interface RunMetrics {
  train: { step: number; loss: number }[];
  val: { step: number; loss: number }[];
}

export interface RunSnapshot {
  model: SequenceModel;
  codec: Codec;
  config: TrainConfig;
  trainer?: Trainer;
  step: number;
  metrics: RunMetrics;
  bestValLoss: number | null;
}

/** Loss points kept in a checkpoint; longer histories keep every k-th point (and the last). */
const MAX_HISTORY = 20_000;

function thin<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points.slice();
  const every = Math.ceil(points.length / max);
  return points.filter((_, i) => i % every === 0 || i === points.length - 1);
}

/** The variable-name prefix that makes a model's variables unique (stripped in checkpoints). */
function prefixOf(model: SequenceModel): string {
  const name = model.named[0].variable.name;
  return name.slice(0, name.indexOf('/') + 1);
}

async function record(name: string, t: tf.Tensor): Promise<TensorRecord> {
  return { name, shape: t.shape.slice(), data: Float32Array.from(await t.data()) };
}

export async function captureCheckpoint(s: RunSnapshot): Promise<Checkpoint> {
  const prefix = prefixOf(s.model);
  const weights = await Promise.all(s.model.named.map((n) => record(n.key, n.variable)));
  let optimizer: Checkpoint['optimizer'] = null;
  if (s.trainer) {
    const slots: TensorRecord[] = [];
    for (const w of await s.trainer.optimizer.getWeights()) {
      if (w.name === 'iter') continue;
      slots.push(await record(w.name.startsWith(prefix) ? w.name.slice(prefix.length) : w.name, w.tensor));
    }
    optimizer = { name: s.config.optimizer, step: s.step, slots };
  }
  return {
    config: { ...s.config, step: s.step },
    vocab: { mode: s.codec.mode, tokens: [...s.codec.vocab.tokens] },
    weights,
    optimizer,
    metrics: { train: thin(s.metrics.train, MAX_HISTORY), val: thin(s.metrics.val, MAX_HISTORY) },
    bestValLoss: s.bestValLoss,
    createdAt: new Date().toISOString(),
  };
}

/** The model shape a checkpoint's config describes (validated by the caller's config check). */
export function shapeOf(config: TrainConfig, vocabSize: number): ModelShape {
  return { cell: config.cell as CellType, layers: config.layers, hiddenSize: config.hiddenSize, vocabSize, dropout: config.dropout };
}

/** The weight names and shapes a model of this configuration has, to check a checkpoint against. */
export function expectedWeights(config: TrainConfig, vocabSize: number): { name: string; shape: number[] }[] {
  const probe = SequenceModel.create(shapeOf(config, vocabSize), 0);
  const out = probe.named.map((n) => ({ name: n.key, shape: n.variable.shape.slice() }));
  probe.dispose();
  return out;
}

/**
 * The training configuration stored in a checkpoint, validated; refuses one whose model-defining
 * fields are missing or invalid.
 */
export function configOf(c: Checkpoint): TrainConfig {
  const { config, problems } = validateTrainConfig(c.config as Partial<Record<keyof TrainConfig, unknown>>);
  const defining = problems.filter((p) => /\.(cell|layers|hiddenSize|tokens):/.test(p));
  if (defining.length > 0) throw new Error(`the checkpoint's configuration is invalid: ${defining.join(' ')}`);
  for (const key of ['cell', 'layers', 'hiddenSize', 'tokens'] as const) {
    if (c.config[key] === undefined) throw new Error(`the checkpoint's configuration has no "${key}"`);
  }
  if (c.vocab.mode !== config.tokens) throw new Error(`the checkpoint's vocabulary is for ${c.vocab.mode} tokens but its configuration says ${config.tokens}`);
  return config;
}

/** Rebuilds the model (and, with `trainer`, the optimizer state) from a checkpoint. */
export async function restoreRun(c: Checkpoint, config: TrainConfig, trainer?: Omit<TrainerOptions, 'optimizer'>): Promise<RunSnapshot> {
  const codec = codecFromTokens(c.vocab.mode as TokenMode, c.vocab.tokens);
  const model = SequenceModel.create(shapeOf(config, codec.vocab.size), config.seed);
  const byName = new Map(c.weights.map((w) => [w.name, w]));
  for (const { key, variable } of model.named) {
    const w = byName.get(key);
    if (!w) throw new Error(`the checkpoint has no weight "${key}"`);
    variable.assign(tf.tensor(w.data, w.shape));
  }
  const step = typeof c.config.step === 'number' ? c.config.step : 0;
  let restoredTrainer: Trainer | undefined;
  if (trainer) {
    restoredTrainer = new Trainer(model, { ...trainer, optimizer: config.optimizer });
    if (c.optimizer && c.optimizer.name === config.optimizer) {
      const prefix = prefixOf(model);
      const named = [
        { name: 'iter', tensor: tf.scalar(c.optimizer.step, 'int32') },
        ...c.optimizer.slots.map((s) => ({ name: prefix + s.name, tensor: tf.tensor(s.data, s.shape) })),
      ];
      await restoredTrainer.optimizer.setWeights(named);
      tf.dispose(named.map((n) => n.tensor));
    }
  }
  return { model, codec, config, trainer: restoredTrainer, step, metrics: { train: c.metrics.train.slice(), val: c.metrics.val.slice() }, bestValLoss: c.bestValLoss };
}
