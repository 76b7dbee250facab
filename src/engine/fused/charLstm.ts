/**
 * The reference character model (one-hot → LSTM → linear → softmax) trained entirely inside the
 * fused wasm module: one training step is a handful of calls (layer forward, output layer forward
 * and backward, layer backward, gradient norm, Adam), no tfjs.
 *
 * Same model as SequenceModel with one `lstm` layer and the Trainer with Adam and clipping by
 * global norm; weights are [Wx, Wh, b, Wy, by] as there (W_y padded inside to a multiple of 8
 * columns).
 */
import { FusedLstmLayer, type FusedLstmShape } from './lstmLayer';
import type { FusedModule } from './module';

export interface AdamOptions {
  learningRate: number;
  /** 0 turns clipping off. */ clipNorm: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface FusedStepResult {
  loss: number;
  gradNorm: number;
  clipped: boolean;
  /** False when the loss or the gradients were NaN/Inf: nothing was applied, the state not carried. */
  finite: boolean;
}

interface Segment { p: number; g: number; m: number; v: number; n: number }

export class FusedCharLstm {
  readonly layer: FusedLstmLayer;
  /** Vocabulary padded to a multiple of 8. */ readonly Vp: number;
  private readonly wy: number;
  private readonly by: number;
  private readonly dWy: number;
  private readonly dby: number;
  private readonly targets: number;
  private readonly logits: number;
  private readonly scratchA: number;
  private readonly scratchB: number;
  private readonly segments: Segment[];
  /** Adam steps applied (its bias correction counts them). */
  steps = 0;

  constructor(readonly mod: FusedModule, readonly shape: FusedLstmShape) {
    const { vocab: V, hidden: H, batch: B, steps: T } = shape;
    this.layer = FusedLstmLayer.create(mod, shape);
    const Vp = (this.Vp = Math.ceil(V / 8) * 8);
    const N = T * B;
    this.wy = mod.alloc(H * Vp * 4);
    this.by = mod.alloc(Vp * 4);
    this.dWy = mod.alloc(H * Vp * 4);
    this.dby = mod.alloc(Vp * 4);
    this.targets = mod.alloc(N * 4);
    this.logits = mod.alloc(N * Vp * 4);
    this.scratchA = mod.alloc(N * Math.max(H, Vp) * 4);
    this.scratchB = mod.alloc(Math.max(H, N) * Vp * 4);
    const lp = this.layer.pointers;
    const G = 4 * H;
    const seg = (p: number, g: number, n: number): Segment => ({ p, g, n, m: mod.alloc(n * 4), v: mod.alloc(n * 4) });
    this.segments = [seg(lp.Wx, lp.dWx, V * G), seg(lp.Wh, lp.dWh, H * G), seg(lp.b, lp.db, G), seg(this.wy, this.dWy, H * Vp), seg(this.by, this.dby, Vp)];
  }

  /** Copies weights in the engine's shapes: Wx [V, 4H], Wh [H, 4H], b [4H], Wy [H, V], by [V]. */
  setWeights(w: { Wx: Float32Array; Wh: Float32Array; b: Float32Array; Wy: Float32Array; by: Float32Array }): void {
    const params = this.parameters();
    [w.Wx, w.Wh, w.b, w.Wy, w.by].forEach((src, k) => this.padInto(k, src, params[k].p));
  }

  /** [H, Vp] W_y as stored (columns V..Vp−1 are padding and stay 0). */
  get WyPadded(): Float32Array {
    return this.mod.f32(this.wy, this.shape.hidden * this.Vp);
  }

  /**
   * One training step on a window: x, y [T·B] time-major (row t·B + b), T ≤ shape.steps.
   * Carries the final state into the next window when the step is applied.
   */
  step(x: Int32Array, y: Int32Array, opt: AdamOptions, lastStepNorms = false): FusedStepResult {
    const e = this.mod.exports;
    const { loss, T } = this.forwardLoss(x, y);
    this.layer.backward(T);
    // Before the update: the last step's gradient flows back through the weights that produced it.
    if (lastStepNorms) this.layer.lastStepNorms(T);
    let sq = 0;
    for (const s of this.segments) sq += e.sumSquares(s.g, s.n);
    const gradNorm = Math.sqrt(sq);
    const finite = Number.isFinite(loss) && Number.isFinite(gradNorm);
    const clip = opt.clipNorm;
    const clipped = clip > 0 && gradNorm > clip;
    if (finite) {
      const scale = clipped ? clip / gradNorm : 1;
      this.steps++;
      for (const s of this.segments) {
        e.adamStep(s.p, s.g, s.m, s.v, s.n, opt.learningRate, opt.beta1 ?? 0.9, opt.beta2 ?? 0.999, opt.epsilon ?? 1e-7, this.steps, scale);
      }
      this.layer.carryState(T);
    }
    return { loss, gradNorm, clipped, finite };
  }

  resetState(): void {
    this.layer.resetState();
  }

  /**
   * Mean cross-entropy of one window from the carried state, which then moves on to the window's
   * end; the weights do not change (the gradient buffers are overwritten, as by every step).
   */
  windowLoss(x: Int32Array, y: Int32Array): number {
    const { loss, T } = this.forwardLoss(x, y);
    this.layer.carryState(T);
    return loss;
  }

  /**
   * The window's forward pass and the output layer: returns the mean cross-entropy and leaves
   * ∂L/∂H in the layer's dH (and the output layer's gradients) for a backward pass.
   */
  private forwardLoss(x: Int32Array, y: Int32Array): { loss: number; T: number } {
    const { vocab: V, hidden: H, batch: B } = this.shape;
    const N = x.length;
    const T = N / B;
    this.layer.ids.set(x);
    const targets = this.mod.i32(this.targets, N);
    for (let k = 0; k < N; k++) {
      if (!(y[k] >= 0 && y[k] < V)) throw new Error(`target ${y[k]} at ${k} is outside [0, ${V})`);
      targets[k] = y[k];
    }
    this.layer.forward(T);
    const lp = this.layer.pointers;
    const loss = this.mod.exports.headForwardBackward(N, H, V, this.Vp, lp.output, this.targets, this.wy, this.by, this.logits, lp.dH, this.dWy, this.dby, this.scratchA, this.scratchB);
    return { loss, T };
  }

  /** A copy of the carried state (h0, c0), to put back with `restoreState`. */
  saveState(): { h: Float32Array; c: Float32Array } {
    return { h: this.layer.h0.slice(), c: this.layer.c0.slice() };
  }

  restoreState(s: { h: Float32Array; c: Float32Array }): void {
    this.layer.h0.set(s.h);
    this.layer.c0.set(s.c);
  }

  /** Each parameter's weights and Adam moments, in the engine's order [Wx, Wh, b, Wy, by] (W_y padded). */
  parameters(): { p: Float32Array; m: Float32Array; v: Float32Array }[] {
    return this.segments.map((s) => ({ p: this.mod.f32(s.p, s.n), m: this.mod.f32(s.m, s.n), v: this.mod.f32(s.v, s.n) }));
  }

  /** Parameter k of `parameters()` in the engine's shape (W_y and b_y without their padding), as a copy. */
  unpadded(k: number, data: Float32Array): Float32Array {
    const { vocab: V, hidden: H } = this.shape;
    if (k === 3) {
      const out = new Float32Array(H * V);
      for (let r = 0; r < H; r++) out.set(data.subarray(r * this.Vp, r * this.Vp + V), r * V);
      return out;
    }
    return Float32Array.from(k === 4 ? data.subarray(0, V) : data);
  }

  /** Writes parameter k's values in the engine's shape into `dst` (a view of `parameters()`), padding with zeros. */
  padInto(k: number, src: Float32Array, dst: Float32Array): void {
    const { vocab: V, hidden: H } = this.shape;
    dst.fill(0);
    if (k === 3) for (let r = 0; r < H; r++) dst.set(src.subarray(r * V, (r + 1) * V), r * this.Vp);
    else dst.set(src);
  }
}
