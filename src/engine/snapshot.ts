/**
 * Between a live run (model, optimizer, vocabulary, metrics) and a checkpoint (plain data).
 */
import * as tf from '@tensorflow/tfjs-core';
import { validateTrainConfig, type CellName, type TokenChoice, type TrainConfig } from '../protocol/runConfig';
import { cellOf } from './cells/registry';
import type { Checkpoint, TensorRecord } from './checkpointFormat';
import { codecFromTokens, type Codec } from './codec';
import { SequenceModel, type ModelShape } from './model';
import type { Trainer } from './trainer';

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
    for (const w of await s.trainer.optimizerWeights()) {
      if (w.name === 'iter') {
        w.tensor.dispose(); // a fresh scalar on every call
        continue;
      }
      slots.push(await record(w.name.startsWith(prefix) ? w.name.slice(prefix.length) : w.name, w.tensor));
      if (s.trainer.ownsOptimizerCopies) w.tensor.dispose();
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
  return { cell: config.cell as CellName, layers: config.layers, hiddenSize: config.hiddenSize, vocabSize, dropout: config.dropout };
}

/**
 * The training configuration stored in a checkpoint, validated; refuses one whose model-defining
 * fields are missing or invalid.
 */
export function configOf(c: Checkpoint): TrainConfig {
  if (c.config.kind === 'seq2seq') throw new Error('this checkpoint holds a sequence-to-sequence model, not a language model (use `lstm-lab translate` with it)');
  const defines = ['cell', 'layers', 'hiddenSize', 'tokens'] as const;
  // Settings are numbers and strings; a list or an object in their place is refused here (a
  // model-defining one) or left out (any other, which then takes its default).
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(c.config)) {
    if (typeof value !== 'object' || value === null) plain[key] = value;
    else if ((defines as readonly string[]).includes(key)) {
      throw new Error(`the checkpoint's configuration has ${Array.isArray(value) ? 'a list' : 'an object'} as "${key}"`);
    }
  }
  const { config, problems } = validateTrainConfig(plain as Partial<Record<keyof TrainConfig, unknown>>);
  const defining = problems.filter((p) => /\.(cell|layers|hiddenSize|tokens):/.test(p)).map((p) => (p.length > 200 ? `${p.slice(0, 200)}…` : p));
  if (defining.length > 0) throw new Error(`the checkpoint's configuration is invalid: ${defining.join(' ')}`);
  for (const key of defines) {
    if (c.config[key] === undefined) throw new Error(`the checkpoint's configuration has no "${key}"`);
  }
  if (c.vocab.mode !== config.tokens) throw new Error(`the checkpoint's vocabulary is for ${c.vocab.mode} tokens but its configuration says ${config.tokens}`);
  return config;
}

/**
 * The weights (keys and shapes, in order) of the model `SequenceModel.create(shape)` builds,
 * worked out without building it.
 */
export function modelWeightShapes(shape: ModelShape): { key: string; shape: number[] }[] {
  const { vocabSize: V, hiddenSize: H } = shape;
  const cell = cellOf(shape.cell);
  const G = cell.blocks;
  const out: { key: string; shape: number[] }[] = [];
  for (let l = 0; l < shape.layers; l++) {
    out.push({ key: `layer${l}.Wx`, shape: [l === 0 ? V : H, G * H] }, { key: `layer${l}.Wh`, shape: [H, G * H] }, { key: `layer${l}.b`, shape: [G * H] });
    if (cell.peepholes) out.push({ key: `layer${l}.p`, shape: [3, H] });
  }
  out.push({ key: 'out.W', shape: [H, V] }, { key: 'out.b', shape: [V] });
  return out;
}

/**
 * Checks that a checkpoint's weights are exactly the ones this configuration's model with the
 * checkpoint's vocabulary has (names and shapes), before any model is built: the sizes a
 * checkpoint's vocabulary and configuration imply are only allocated when its data backs them.
 */
function checkWeights(c: Checkpoint, config: TrainConfig): void {
  const vocabSize = c.vocab.tokens.length;
  const expected = modelWeightShapes(shapeOf(config, vocabSize));
  const byName = new Map(c.weights.map((w) => [w.name, w]));
  const wanted = new Set(expected.map((e) => e.key));
  const extra = c.weights.filter((w) => !wanted.has(w.name)).map((w) => w.name);
  if (extra.length > 0) throw new Error(`the checkpoint has weights this ${config.cell} model does not: ${extra.slice(0, 5).join(', ')}`);
  for (const { key, shape } of expected) {
    const w = byName.get(key);
    if (!w) throw new Error(`the checkpoint has no weight "${key}"`);
    if (w.shape.join('×') === shape.join('×')) continue;
    let why = '';
    // The input weights' rows and the output weights' columns are one per vocabulary token.
    const vocabAxis = key === 'layer0.Wx' || key === 'out.b' ? 0 : key === 'out.W' ? 1 : -1;
    if (vocabAxis >= 0 && w.shape.length === shape.length && w.shape.every((d, i) => i === vocabAxis || d === shape[i])) {
      why = `: its vocabulary has ${vocabSize} tokens but its weights were made for ${w.shape[vocabAxis]}`;
    }
    throw new Error(`the checkpoint's weight "${key}" has shape [${w.shape.join(', ')}] but the model needs [${shape.join(', ')}]${why}`);
  }
}

/**
 * Rebuilds the model from a checkpoint, checking that its weights are exactly the ones this
 * configuration's model has (names and shapes).
 */
export async function restoreRun(c: Checkpoint, config: TrainConfig): Promise<RunSnapshot> {
  checkWeights(c, config);
  const codec = codecFromTokens(c.vocab.mode as TokenChoice, c.vocab.tokens);
  const model = SequenceModel.create(shapeOf(config, codec.vocab.size), config.seed);
  try {
    const byName = new Map(c.weights.map((w) => [w.name, w]));
    for (const { key, variable } of model.named) {
      const w = byName.get(key);
      if (!w || w.shape.join('×') !== variable.shape.join('×')) throw new Error(`the checkpoint's weight "${key}" does not fit the model`);
      const t = tf.tensor(w.data, w.shape);
      variable.assign(t);
      t.dispose();
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  const step = typeof c.config.step === 'number' && Number.isSafeInteger(c.config.step) && c.config.step >= 0 ? c.config.step : 0;
  return { model, codec, config, step, metrics: { train: c.metrics.train.slice(), val: c.metrics.val.slice() }, bestValLoss: c.bestValLoss };
}

/**
 * Loads a checkpoint's optimizer state into `trainer` (whose model was restored from the same
 * checkpoint). tfjs optimizers take their slots by position, so the slots must come grouped by
 * kind (e.g. all Adam first moments, then all second moments) in the model's parameter order;
 * anything else is refused rather than put on the wrong weights. Returns why not, or null.
 */
export async function restoreOptimizer(trainer: Trainer, c: Checkpoint): Promise<string | null> {
  const o = c.optimizer;
  if (!o) return 'the checkpoint has no optimizer state';
  if (o.name !== trainer.options.optimizer) return `the checkpoint's optimizer is ${o.name}, not ${trainer.options.optimizer}`;
  const keys = trainer.model.named.map((n) => n.key);
  const shapes = new Map(trainer.model.named.map((n) => [n.key, n.variable.shape.join('×')]));
  if (o.slots.length % keys.length !== 0) return 'its optimizer slots do not match the model';
  for (let i = 0; i < o.slots.length; i++) {
    const slot = o.slots[i];
    const key = keys[i % keys.length];
    if (!slot.name.startsWith(`${key}/`) || slot.shape.join('×') !== shapes.get(key)) return `optimizer slot ${i} ("${slot.name}") does not match weight "${key}"`;
  }
  const prefix = prefixOf(trainer.model);
  const named = [
    { name: 'iter', tensor: tf.scalar(o.step, 'int32') },
    ...o.slots.map((s) => ({ name: prefix + s.name, tensor: tf.tensor(s.data, s.shape) })),
  ];
  await trainer.setOptimizerWeights(named);
  tf.dispose(named.map((n) => n.tensor));
  return null;
}

/** Copies one trainer's optimizer state into another over the same model (e.g. a parallel one). */
export async function copyOptimizerState(from: Trainer, to: Trainer): Promise<void> {
  const weights = await from.optimizerWeights();
  await to.setOptimizerWeights(weights);
  // getWeights makes a fresh iteration-count scalar each time; a fused trainer makes fresh copies of all.
  tf.dispose(weights.filter((w) => w.name === 'iter' || from.ownsOptimizerCopies).map((w) => w.tensor));
}
