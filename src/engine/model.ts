/**
 * The sequence model: token ids → stacked recurrent layers (any cell, dropout between layers) →
 * linear → softmax over the vocabulary.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Cell, CellState } from './cells/cell';
import type { CellName } from '../protocol/runConfig';
import { cellOf } from './cells/registry';
import { layerForward, recurrentLayer, type LayerAux, type LayerTrace, type LayerWeights } from './layer';
import { Rng } from './rng';

export interface ModelShape {
  cell: CellName;
  /** 1–4 */ layers: number;
  hiddenSize: number;
  vocabSize: number;
  /** Dropout rate on the input of every layer above the first, while training. */
  dropout: number;
}

export interface LayerParams {
  Wx: tf.Variable<tf.Rank.R2>;
  Wh: tf.Variable<tf.Rank.R2>;
  b: tf.Variable<tf.Rank.R1>;
  p: tf.Variable<tf.Rank.R2> | null;
}

/** A parameter with a stable key (for checkpoints) next to its tfjs variable. */
export interface NamedParam {
  key: string;
  variable: tf.Variable;
}

let modelCount = 0;

export class SequenceModel {
  readonly cell: Cell;

  private constructor(readonly shape: ModelShape, readonly layers: LayerParams[], readonly Wy: tf.Variable<tf.Rank.R2>, readonly by: tf.Variable<tf.Rank.R1>, readonly named: NamedParam[]) {
    this.cell = cellOf(shape.cell);
  }

  /** Seeded initialisation: weights ~ N(0, 1/fan_in), cell-specific biases (LSTM forget gate 1). */
  static create(shape: ModelShape, seed: number): SequenceModel {
    const { vocabSize: V, hiddenSize: H } = shape;
    const cell = cellOf(shape.cell);
    const G = cell.blocks;
    const rng = new Rng(seed);
    const prefix = `m${++modelCount}`;
    const named: NamedParam[] = [];
    const param = <R extends tf.Rank>(key: string, value: tf.Tensor<R>): tf.Variable<R> => {
      const v = tf.variable(value, true, `${prefix}/${key}`);
      value.dispose();
      named.push({ key, variable: v });
      return v;
    };
    const normal = (n: number, scale: number) => {
      const a = new Float32Array(n);
      for (let k = 0; k < n; k++) a[k] = rng.normal() * scale;
      return a;
    };
    const layers: LayerParams[] = [];
    for (let l = 0; l < shape.layers; l++) {
      const D = l === 0 ? V : H;
      const bias = new Float32Array(G * H);
      for (let g = 0; g < G; g++) bias.fill(cell.initialBias(g), g * H, (g + 1) * H);
      layers.push({
        Wx: param(`layer${l}.Wx`, tf.tensor2d(normal(D * G * H, 1 / Math.sqrt(D + H)), [D, G * H])),
        Wh: param(`layer${l}.Wh`, tf.tensor2d(normal(H * G * H, 1 / Math.sqrt(D + H)), [H, G * H])),
        b: param(`layer${l}.b`, tf.tensor1d(bias)),
        p: cell.peepholes ? param(`layer${l}.p`, tf.tensor2d(normal(3 * H, 0.1), [3, H])) : null,
      });
    }
    const Wy = param('out.W', tf.tensor2d(normal(H * V, 1 / Math.sqrt(H)), [H, V]));
    const by = param('out.b', tf.zeros([V]) as tf.Tensor1D);
    return new SequenceModel(shape, layers, Wy, by, named);
  }

  get variables(): tf.Variable[] {
    return this.named.map((n) => n.variable);
  }

  get parameterCount(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  /** Zero state for each layer. */
  zeroState(batch: number): CellState[] {
    const H = this.shape.hiddenSize;
    return this.layers.map(() => ({ h: tf.zeros([batch, H]), c: this.cell.hasCellState ? tf.zeros([batch, H]) : null }));
  }

  private weights(l: number): LayerWeights {
    const p = this.layers[l];
    return { Wx: p.Wx, Wh: p.Wh, b: p.b, p: p.p };
  }

  /**
   * Mean cross-entropy (nats per token) over one window through the hand-written BPTT layers;
   * differentiable with respect to every parameter. `aux[l]` receives layer l's by-products.
   */
  windowLoss(x: Int32Array, y: Int32Array, batch: number, states: CellState[], aux: LayerAux[], dropoutSeed: number): tf.Scalar {
    let below: tf.Tensor2D | null = null;
    for (let l = 0; l < this.layers.length; l++) {
      aux[l] ??= {};
      let input = below;
      if (input && this.shape.dropout > 0) input = tf.dropout(input, this.shape.dropout, undefined, dropoutSeed * 7919 + l) as tf.Tensor2D;
      below = recurrentLayer(this.cell, this.weights(l), input ? { x: input } : { ids: x }, batch, states[l], aux[l]);
    }
    const logits = tf.add(tf.matMul(below!, this.Wy), this.by) as tf.Tensor2D;
    return crossEntropy(logits, y, this.shape.vocabSize);
  }

  /** Forward only: logits [T·B, V] and the final states (all owned by the caller). */
  logits(x: Int32Array, batch: number, states: CellState[]): { logits: tf.Tensor2D; final: CellState[] } {
    return tidyKeep(() => {
      const { top, final } = this.run(x, batch, states);
      const logits = tf.add(tf.matMul(tf.concat(top.hs, 0), this.Wy), this.by) as tf.Tensor2D;
      return { logits, final };
    });
  }

  /** Every layer's trace over `x` (not disposed: wrap in tf.tidy). */
  traces(x: Int32Array, batch: number, states: CellState[]): LayerTrace[] {
    const out: LayerTrace[] = [];
    let below: tf.Tensor2D | null = null;
    for (let l = 0; l < this.layers.length; l++) {
      const t = layerForward(this.cell, this.weights(l), below ? { x: below } : { ids: x }, batch, states[l]);
      out.push(t);
      below = tf.concat(t.hs, 0) as tf.Tensor2D;
    }
    return out;
  }

  private run(x: Int32Array, batch: number, states: CellState[]): { top: LayerTrace; final: CellState[] } {
    const traces = this.traces(x, batch, states);
    const final = traces.map((t) => ({ h: t.hs[t.hs.length - 1], c: t.cs.length ? t.cs[t.cs.length - 1] : null }));
    return { top: traces[traces.length - 1], final };
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}

/** Mean softmax cross-entropy of integer targets. */
export function crossEntropy(logits: tf.Tensor2D, y: Int32Array, vocabSize: number): tf.Scalar {
  return tf.tidy(() => {
    const labels = tf.oneHot(tf.tensor1d(y, 'int32'), vocabSize);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  });
}

export function disposeStates(states: CellState[]): void {
  for (const s of states) tf.dispose([s.h, ...(s.c ? [s.c] : [])]);
}

/** tf.tidy for results that hold tensors in plain objects (with nulls for absent cell states). */
export function tidyKeep<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}
