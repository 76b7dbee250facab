/**
 * The trainer that runs each step in the fused WebAssembly kernels (fusedModel.ts) instead of
 * tfjs, for the models they cover: every cell, 1–4 layers with dropout, characters or words, Adam,
 * hidden a multiple of 8 and batch a multiple of 4. Everything else trains with the tfjs Trainer,
 * which stays the reference the fused kernels are tested against.
 *
 * The weights live in the module's memory while training; after every step they are copied into
 * the model's tfjs variables (about 0.1 M floats), so validation, sampling, hovers and checkpoints
 * read the same model as before. Adam's moments stay in the module and are handed out in the
 * tfjs Adam layout for checkpoints, so a run can be resumed on either path.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../../protocol/runConfig';
import type { Window } from '../data';
import type { SequenceModel } from '../model';
import { evaluateYielding, evaluationWindow, Trainer, type GradByLag, type NamedTensor, type StepResult, type TrainerOptions } from '../trainer';
import { FusedModel } from './fusedModel';
import { FusedModule, type SimdVariant } from './module';

/** Why the fused kernels cannot train this run, or null when they can. */
export function fusedUnsupported(config: Pick<TrainConfig, 'optimizer' | 'hiddenSize'>, batch: number): string | null {
  if (config.optimizer !== 'adam') return `the ${config.optimizer} optimizer`;
  if (config.hiddenSize % 8 !== 0) return `${config.hiddenSize} hidden units (not a multiple of 8)`;
  if (batch % 4 !== 0) return `${batch} streams (not a multiple of 4)`;
  return null;
}

/** The top layer's gradient norms of the last step over its T steps, in lag order (last step first). */
export function gradByLagOf(fused: FusedModel, T: number): GradByLag {
  const lag = (a: Float32Array) => Array.from(a).reverse();
  const top = fused.top;
  const c = (a: Float32Array) => (top.hasCellState ? lag(a) : []);
  return { h: lag(top.dhLast(T)), c: c(top.dcLast(T)), hTotal: lag(top.dhNorm(T)), cTotal: c(top.dcNorm(T)) };
}

export class FusedTrainer extends Trainer {
  protected stepCount = 0;

  protected constructor(model: SequenceModel, options: TrainerOptions, protected readonly fused: FusedModel) {
    super(model, options);
    this.pushWeights();
  }

  /**
   * A fused trainer for `model`, with its weights copied in. `steps` is the
   * longest window it will be given. Throws when the runtime has no WebAssembly SIMD.
   */
  static async create(model: SequenceModel, options: TrainerOptions, steps: number, wasmDir: string, variant?: SimdVariant): Promise<FusedTrainer> {
    // Each trainer gets its own module instance, so its memory is its own.
    const mod = await FusedModule.load(wasmDir, variant);
    const { vocabSize: vocab, hiddenSize: hidden, cell, layers, dropout } = model.shape;
    return new FusedTrainer(model, options, new FusedModel(mod, { cell, layers, vocab, hidden, batch: options.batch, steps, dropout }));
  }

  /** Which WebAssembly build runs the kernels. */
  get variant(): SimdVariant {
    return this.fused.mod.variant;
  }

  override step(window: Window, withGradByLag = false): StepResult {
    if (window.resetState) this.fused.resetState();
    const { learningRate, clipNorm } = this.options;
    // Dropout masks are drawn per step and per shard, as the tfjs trainer's are.
    const seed = ++this.stepCount * 64 + (this.options.shard ?? 0);
    const r = this.fused.step(window.x, window.y, { learningRate, clipNorm }, withGradByLag, seed);
    const result: StepResult = { loss: r.loss, gradNorm: r.gradNorm, clipped: r.clipped, finite: r.finite };
    if (withGradByLag) result.gradByLag = gradByLagOf(this.fused, window.x.length / this.options.batch);
    if (r.finite) this.pullWeights();
    return result;
  }

  /**
   * The evaluation tfjs would do (same streams, windows and carried state), on the fused kernels
   * when its streams are this trainer's; otherwise on tfjs.
   */
  override async evaluate(ids: Int32Array, steps: number, between: () => Promise<void>, maxTokens = 65536): Promise<number | null> {
    return this.evaluateOn(this.fused, ids, steps, between, maxTokens);
  }

  /** The evaluation over `model`'s streams (its batch), on `model` (whose weights must be current). */
  protected async evaluateOn(model: FusedModel, ids: Int32Array, steps: number, between: () => Promise<void>, maxTokens = 65536): Promise<number | null> {
    const B = model.shape.batch;
    if (ids.length < 2) return null;
    const use = ids.subarray(0, Math.min(ids.length, maxTokens + 1));
    const n = Math.floor((use.length - 1) / B);
    // evaluateWindows would read fewer streams, or the windows would not fit the kernels' buffers.
    if (Math.floor((use.length - 1) / steps) < B || n < 1 || steps > model.shape.steps) return evaluateYielding(this.model, ids, B, steps, between, maxTokens);
    const carried = model.saveState();
    model.resetState();
    let total = 0;
    let count = 0;
    try {
      for (let start = 0; start < n; start += steps) {
        const T = Math.min(steps, n - start);
        const { x, y } = evaluationWindow(use, B, n, start, T);
        total += model.windowLoss(x, y) * T * B;
        count += T * B;
        if (start + steps < n) await between();
      }
    } finally {
      model.restoreState(carried);
    }
    return total / count;
  }

  override resetState(): void {
    super.resetState();
    this.fused?.resetState();
  }

  override get ownsOptimizerCopies(): boolean {
    return true;
  }

  /** Adam's state in tfjs's layout: the step count, then every first moment, then every second. */
  override async optimizerWeights(): Promise<NamedTensor[]> {
    const params = this.fused.parameters();
    const vars = this.model.named.map((n) => n.variable);
    const moment = (kind: 'm' | 'v') => params.map((s, k) => ({
      name: `${vars[k].name}/${kind}`,
      tensor: tf.tensor(this.fused.unpadded(k, s[kind]), vars[k].shape),
    }));
    return [{ name: 'iter', tensor: tf.scalar(this.fused.steps, 'int32') }, ...moment('m'), ...moment('v')];
  }

  /**
   * Takes Adam's state in tfjs's layout (from a checkpoint or a tfjs trainer): after `iter`, every
   * first moment, then every second, in the model's parameter order, as tfjs reads them.
   */
  override async setOptimizerWeights(weights: NamedTensor[]): Promise<void> {
    const params = this.fused.parameters();
    const keys = this.model.named.map((n) => n.key);
    const iter = weights.find((w) => w.name === 'iter');
    const slots = weights.filter((w) => w.name !== 'iter');
    if (slots.length !== 2 * keys.length) throw new Error(`the optimizer state has ${slots.length} slots; Adam over this model has ${2 * keys.length}`);
    slots.forEach((w, i) => {
      const k = i % keys.length;
      const kind = i < keys.length ? 'm' : 'v';
      if (!w.name.endsWith(`${keys[k]}/${kind}`)) throw new Error(`optimizer slot ${i} ("${w.name}") is not ${keys[k]}/${kind}`);
      this.fused.padInto(k, w.tensor.dataSync() as Float32Array, params[k][kind]);
    });
    this.fused.steps = iter ? iter.tensor.dataSync()[0] : 0;
  }

  /** Copies the tfjs variables into the module (at the start, and after a resume). */
  pushWeights(): void {
    this.fused.setWeights(this.model.named.map((n) => n.variable.dataSync() as Float32Array));
  }

  /** Copies the module's weights into the tfjs variables, which everything but training reads. */
  protected pullWeights(): void {
    const params = this.fused.parameters();
    this.model.named.forEach((n, k) => {
      const t = tf.tensor(this.fused.unpadded(k, params[k].p), n.variable.shape);
      n.variable.assign(t);
      t.dispose();
    });
  }
}
