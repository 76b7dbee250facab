/**
 * The encoder–decoder with attention, trained on the fused recurrent kernels.
 *
 *   encoder  a stack of recurrent layers over the source (a second stack over the reversed source
 *            when bidirectional); its outputs h_i (top layer; [h_fwd; h_bwd] when bidirectional,
 *            width E) are what attention looks at.
 *   decoder  a stack of the same cell over BOS + target (teacher forcing), each layer started
 *            from the encoder layer's final state (the sum of both directions' when
 *            bidirectional). Its top output s_t is the decoder's state at step t.
 *   attention (after the decoder step, as Luong et al. place it)
 *            none      õ_t = s_t: everything the decoder knows of the source went through the
 *                      final state (the bottleneck attention removes)
 *            dot       score(t, i) = s_tᵀ W_a h_i   (Luong's "general" form)
 *            additive  score(t, i) = vᵀ tanh(W_1 h_i + W_2 s_t)   (Bahdanau's scoring)
 *            α_t = softmax_i score(t, i), c_t = Σ_i α_ti h_i, õ_t = tanh([c_t; s_t] W_c + b_c)
 *   output   p(y_t) = softmax(õ_t W_y + b_y); the loss is the mean cross-entropy of the target
 *            tokens (padding masked out).
 *
 * The recurrent layers run forward and backward in the wasm module; the attention and output
 * layers (a few matrix products per batch) are differentiated by tfjs. ∂L/∂s_t and ∂L/∂h_i from
 * there go into the layers' backward passes, and the gradient reaching the decoder's start state
 * flows on into the encoder's final state. Every parameter, gradient and Adam moment lives in the
 * module; one clip and one Adam step cover them all.
 *
 * Batches are time-major (row t·B + b). All sources of a batch have the same length (batches.ts
 * groups them so), so the encoder reads no padding; targets are padded at the end and masked.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CellName } from '../../protocol/runConfig';
import { cellOf } from '../cells/registry';
import { FusedLayer } from '../fused/layer';
import type { FusedModule } from '../fused/module';
import { Rng } from '../rng';
import { headForward, maskedLoss } from './head';
import { addInto, bMajor, reverseTime, timeMajor } from './layout';

export const ATTENTION_KINDS = ['none', 'dot', 'additive'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

export interface Seq2SeqShape {
  cell: CellName;
  /** Layers of the encoder and of the decoder: 1–2. */ layers: number;
  /** Hidden units per layer (a multiple of 8). */ hidden: number;
  /** Shared vocabulary of source and target. */ vocab: number;
  attention: AttentionKind;
  bidirectional: boolean;
}

/** A parameter: its key (checkpoints), shape, and where its values, gradient and Adam moments are. */
export interface Seq2SeqParam {
  key: string;
  shape: number[];
  n: number;
  p: number;
  g: number;
  m: number;
  v: number;
}

/** One batch as the model reads it (batches.ts `PairBatch`, padded to the model's batch). */
export interface ModelBatch {
  sourceSteps: number;
  targetSteps: number;
  /** [Ts·B] */ source: Int32Array;
  /** [Tt·B] */ decoderInput: Int32Array;
  /** [Tt·B] */ decoderTarget: Int32Array;
  /** [Tt·B] */ mask: Float32Array;
}

export interface Seq2SeqStep {
  loss: number;
  gradNorm: number;
  clipped: boolean;
  finite: boolean;
  /** [Ts] ‖∂L/∂h_i‖ over the batch by source position (the encoder's top layer; both directions). */
  sourceGradNorms: Float32Array;
}

export interface HeadTensors {
  /** [B·Tt, V] logits, rows b-major (b·Tt + t). */
  logits: tf.Tensor2D;
  /** [B, Tt, Ts] attention weights (null without attention). */
  alpha: tf.Tensor3D | null;
}

export class FusedSeq2Seq {
  readonly encoder: FusedLayer[];
  readonly backwardEncoder: FusedLayer[];
  readonly decoder: FusedLayer[];
  readonly params: Seq2SeqParam[] = [];
  /** Width of what attention reads (H, or 2H when bidirectional). */
  readonly E: number;
  private readonly head: Seq2SeqParam[];
  /** Adam steps applied. */
  steps = 0;

  constructor(readonly mod: FusedModule, readonly shape: Seq2SeqShape, readonly batch: number, readonly maxSource: number, readonly maxTarget: number, seed = 1) {
    const { cell, layers: L, hidden: H, vocab: V, attention, bidirectional } = shape;
    if (!(L >= 1 && L <= 2)) throw new Error(`a sequence-to-sequence model has 1 or 2 layers (got ${L})`);
    const stack = (T: number): FusedLayer[] => {
      const out: FusedLayer[] = [];
      for (let l = 0; l < L; l++) {
        const below = out[l - 1]?.pointers;
        out.push(FusedLayer.create(mod, { cell, input: l === 0 ? V : H, hidden: H, batch, steps: T }, below ? { x: below.output, dX: below.dH } : undefined));
      }
      return out;
    };
    this.encoder = stack(maxSource);
    this.backwardEncoder = bidirectional ? stack(maxSource) : [];
    this.decoder = stack(maxTarget);
    const E = (this.E = bidirectional ? 2 * H : H);
    const rng = new Rng(seed);
    const c = cellOf(cell);
    const add = (key: string, shape: number[], p?: number, g?: number): Seq2SeqParam => {
      const n = shape.reduce((a, b) => a * b, 1);
      const param = { key, shape, n, p: p ?? mod.alloc(n * 4), g: g ?? mod.alloc(n * 4), m: mod.alloc(n * 4), v: mod.alloc(n * 4) };
      this.params.push(param);
      return param;
    };
    const fill = (param: Seq2SeqParam, f: (k: number) => number) => {
      const a = mod.f32(param.p, param.n);
      for (let k = 0; k < param.n; k++) a[k] = f(k);
    };
    const recurrent = (name: string, layers: FusedLayer[]) => layers.forEach((layer, l) => {
      const D = l === 0 ? V : H;
      const G = c.blocks * H;
      const bufs = layer.parameterBuffers();
      const keys = [['Wx', [D, G]], ['Wh', [H, G]], ['b', [G]], ['p', [3, H]]] as const;
      bufs.forEach((b, k) => {
        const param = add(`${name}${l}.${keys[k][0]}`, [...keys[k][1]], b.p, b.g);
        if (k < 2) fill(param, () => rng.normal() / Math.sqrt(D + H));
        else if (k === 2) fill(param, (j) => c.initialBias(Math.floor(j / H)));
        else fill(param, () => rng.normal() * 0.1);
      });
    });
    recurrent('enc', this.encoder);
    recurrent('encb', this.backwardEncoder);
    recurrent('dec', this.decoder);
    const first = this.params.length;
    if (attention === 'dot') fill(add('att.W', [H, E]), () => rng.normal() / Math.sqrt(H));
    if (attention === 'additive') {
      fill(add('att.W1', [E, H]), () => rng.normal() / Math.sqrt(E));
      fill(add('att.W2', [H, H]), () => rng.normal() / Math.sqrt(H));
      fill(add('att.v', [H]), () => rng.normal() / Math.sqrt(H));
    }
    if (attention !== 'none') {
      fill(add('comb.W', [E + H, H]), () => rng.normal() / Math.sqrt(E + H));
      fill(add('comb.b', [H]), () => 0);
    }
    fill(add('out.W', [H, V]), () => rng.normal() / Math.sqrt(H));
    fill(add('out.b', [V]), () => 0);
    this.head = this.params.slice(first);
  }

  /** A parameter's values (a view of the module's memory). */
  values(param: Seq2SeqParam): Float32Array {
    return this.mod.f32(param.p, param.n);
  }

  gradient(param: Seq2SeqParam): Float32Array {
    return this.mod.f32(param.g, param.n);
  }

  /** Copies every parameter's values from another model of the same shape (another batch size). */
  copyWeightsFrom(other: FusedSeq2Seq): void {
    if (other.params.length !== this.params.length) throw new Error('models of different shapes');
    this.params.forEach((p, k) => {
      if (other.params[k].key !== p.key || other.params[k].n !== p.n) throw new Error(`parameter ${p.key} differs`);
      this.values(p).set(other.values(other.params[k]));
    });
  }

  /**
   * Runs the encoder over the batch's sources and starts the decoder from its final state.
   * Returns the encoder outputs attention reads, [Ts·B, E] time-major.
   */
  encode(source: Int32Array, Ts: number): Float32Array {
    const B = this.batch;
    const H = this.shape.hidden;
    if (source.length !== Ts * B) throw new Error(`a source batch of ${source.length} ids is not ${Ts} steps × ${B}`);
    const run = (layers: FusedLayer[], ids: Int32Array) => {
      layers[0].ids.set(ids);
      for (const layer of layers) {
        layer.resetState();
        layer.forward(Ts);
      }
    };
    run(this.encoder, source);
    if (this.shape.bidirectional) run(this.backwardEncoder, reverseTime(source, Ts, B, 1));
    this.decoder.forEach((layer, l) => {
      layer.h0.set(this.encoder[l].hT(Ts));
      layer.c0.set(this.encoder[l].cT(Ts));
      if (this.shape.bidirectional) {
        addInto(layer.h0, this.backwardEncoder[l].hT(Ts));
        addInto(layer.c0, this.backwardEncoder[l].cT(Ts));
      }
    });
    const top = this.encoder[this.encoder.length - 1].output(Ts);
    if (!this.shape.bidirectional) return top.slice();
    const back = reverseTime(this.backwardEncoder[this.backwardEncoder.length - 1].output(Ts), Ts, B, H);
    const out = new Float32Array(Ts * B * 2 * H);
    for (let r = 0; r < Ts * B; r++) {
      out.set(top.subarray(r * H, (r + 1) * H), r * 2 * H);
      out.set(back.subarray(r * H, (r + 1) * H), r * 2 * H + H);
    }
    return out;
  }

  /** Runs the decoder over `ids` ([Tt·B]) from its current start state; returns its top output [Tt·B, H]. */
  decode(ids: Int32Array, Tt: number): Float32Array {
    this.decoder[0].ids.set(ids);
    for (const layer of this.decoder) layer.forward(Tt);
    return this.decoder[this.decoder.length - 1].output(Tt);
  }

  /** Moves the decoder's state on by `T` steps (greedy and beam decoding run one step at a time). */
  carryDecoder(T: number): void {
    for (const layer of this.decoder) layer.carryState(T);
  }

  /** The head's parameters as tensors (copies), in the head's order. */
  headTensors(): tf.Tensor[] {
    return this.head.map((p) => tf.tensor(this.values(p), p.shape));
  }

  /**
   * Attention and output layer on decoder outputs S [B·Tt, H] (b-major) and encoder outputs
   * Hs [B, Ts, E], with the head's weights `w` (in the head's order): head.ts.
   */
  headForward(S: tf.Tensor2D, Hs: tf.Tensor3D, Tt: number, w: tf.Tensor[]): HeadTensors {
    return headForward(this.shape.attention, this.shape.hidden, this.E, S, Hs, Tt, w);
  }

  static maskedLoss(logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D, tokens: number): tf.Scalar {
    return maskedLoss(logits, targets, mask, tokens);
  }

  /**
   * Loss and every parameter's gradient (in the module's gradient buffers) for one batch, without
   * changing a weight.
   */
  gradients(batch: ModelBatch): { loss: number; sourceGradNorms: Float32Array } {
    const B = this.batch;
    const { hidden: H, bidirectional } = this.shape;
    const E = this.E;
    const Ts = batch.sourceSteps;
    const Tt = batch.targetSteps;
    const henc = this.encode(batch.source, Ts);
    const S = this.decode(batch.decoderInput, Tt);
    const targets = bMajor(batch.decoderTarget, Tt, B, 1);
    const mask = bMajor(batch.mask, Tt, B, 1);
    const tokens = mask.reduce((a, b) => a + b, 0);
    // Read back inside tidy and kept outside it: a returned container would be walked value by value.
    let got: { loss: number; dS: Float32Array; dH: Float32Array; dHead: Float32Array[] } | undefined;
    tf.tidy(() => {
      const s = tf.tensor2d(bMajor(S, Tt, B, H), [B * Tt, H]);
      const hs = tf.tensor3d(bMajor(henc, Ts, B, E), [B, Ts, E]);
      const w = this.headTensors();
      const y = tf.tensor1d(Int32Array.from(targets), 'int32');
      const m = tf.tensor1d(mask);
      // Without attention the loss does not read the encoder's outputs: no gradient to ask for.
      const attends = this.shape.attention !== 'none';
      const f = (...xs: tf.Tensor[]) => FusedSeq2Seq.maskedLoss(this.headForward(xs[0] as tf.Tensor2D, attends ? (xs[1] as tf.Tensor3D) : hs, Tt, xs.slice(attends ? 2 : 1)).logits, y, m, tokens);
      const { value, grads } = tf.valueAndGrads(f)(attends ? [s, hs, ...w] : [s, ...w]);
      got = {
        loss: value.dataSync()[0],
        dS: grads[0].dataSync() as Float32Array,
        dH: attends ? (grads[1].dataSync() as Float32Array) : new Float32Array(Ts * B * E),
        dHead: grads.slice(attends ? 2 : 1).map((g) => g.dataSync() as Float32Array),
      };
    });
    const { loss, dS, dH, dHead } = got!;
    this.head.forEach((p, k) => this.gradient(p).set(dHead[k]));
    // Decoder: top to bottom, each layer's gradient reaching its start state kept for the encoder.
    this.decoder[this.decoder.length - 1].dH.set(timeMajor(dS, Tt, B, H));
    for (let l = this.decoder.length - 1; l >= 0; l--) this.decoder[l].backwardState(Tt, false, false, true);
    const dEnc = timeMajor(dH, Ts, B, E);
    // The decoder started from the encoder's final state: ∂L/∂h_0 and ∂L/∂c_0 of each decoder
    // layer join the encoder layer's at its last step (both directions', which were summed).
    const hasC = this.decoder[0].hasCellState;
    const encoderBack = (layers: FusedLayer[], fromTop: (dst: Float32Array) => void) => {
      fromTop(layers[layers.length - 1].dH);
      for (let l = layers.length - 1; l >= 0; l--) {
        const layer = layers[l];
        addInto(layer.dH.subarray((Ts - 1) * B * H, Ts * B * H), this.decoder[l].dhCarry);
        if (hasC) layer.dcCarry.set(this.decoder[l].dcCarry);
        layer.backwardState(Ts, false, hasC, false);
      }
    };
    encoderBack(this.encoder, (dst) => {
      for (let r = 0; r < Ts * B; r++) dst.set(dEnc.subarray(r * E, r * E + H), r * H);
    });
    // ‖∂L/∂h_i‖ over the batch, through attention and through the recurrence.
    const sourceGradNorms = this.encoder[this.encoder.length - 1].dhNorm(Ts).slice();
    if (bidirectional) {
      encoderBack(this.backwardEncoder, (dst) => {
        // Position i of the source is step Ts−1−i of the reversed reading.
        for (let t = 0; t < Ts; t++) {
          for (let b = 0; b < B; b++) {
            const from = ((Ts - 1 - t) * B + b) * E + H;
            dst.set(dEnc.subarray(from, from + H), (t * B + b) * H);
          }
        }
      });
      const back = this.backwardEncoder[this.backwardEncoder.length - 1].dhNorm(Ts);
      for (let i = 0; i < Ts; i++) sourceGradNorms[i] = Math.hypot(sourceGradNorms[i], back[Ts - 1 - i]);
    }
    return { loss, sourceGradNorms };
  }

  /** Global norm of all gradients (float64 sums). */
  gradientNorm(): number {
    let sq = 0;
    for (const p of this.params) sq += this.mod.exports.sumSquares(p.g, p.n);
    return Math.sqrt(sq);
  }

  /** One training step: gradients, clipping by global norm, Adam. */
  step(batch: ModelBatch, opt: { learningRate: number; clipNorm: number }): Seq2SeqStep {
    const { loss, sourceGradNorms } = this.gradients(batch);
    const gradNorm = this.gradientNorm();
    const finite = Number.isFinite(loss) && Number.isFinite(gradNorm);
    const clipped = opt.clipNorm > 0 && gradNorm > opt.clipNorm;
    if (finite) {
      const scale = clipped ? opt.clipNorm / gradNorm : 1;
      this.steps++;
      for (const p of this.params) this.mod.exports.adamStep(p.p, p.g, p.m, p.v, p.n, opt.learningRate, 0.9, 0.999, 1e-7, this.steps, scale);
    }
    return { loss, gradNorm, clipped, finite, sourceGradNorms };
  }
}
