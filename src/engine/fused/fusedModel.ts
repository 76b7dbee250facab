/**
 * The sequence model (token ids → stacked recurrent layers of any cell, dropout between them →
 * linear → softmax) trained entirely inside the fused wasm module: one training step is a
 * handful of calls per layer (forward, output layer forward and backward, backward, gradient norm,
 * Adam), no tfjs.
 *
 * Same model as SequenceModel and the Trainer with Adam and clipping by global norm; parameters in
 * the engine's order (per layer Wx, Wh, b and, for peepholes, p; then Wy, by), W_y padded inside
 * to a multiple of 8 columns.
 */
import type { CellName } from '../../protocol/runConfig';
import { Rng } from '../rng';
import { FusedLayer } from './layer';
import type { FusedModule } from './module';

export interface FusedModelShape {
  cell: CellName;
  /** 1–4 */ layers: number;
  /** Vocabulary size (one-hot input width). */ vocab: number;
  /** Hidden units per layer; a multiple of 8. */ hidden: number;
  /** Batch streams; a multiple of 4. */ batch: number;
  /** Longest window (T) the model will be run over. */ steps: number;
  /** Dropout rate on the input of every layer above the first, while training. */ dropout: number;
}

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

/** A dropout site: the masked copy of the layer below's output and ∂L/∂(masked copy). */
interface DropoutSite { x: number; dX: number; mask: Float32Array }

export class FusedModel {
  readonly layers: FusedLayer[];
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
  /** Dropout sites by layer (index l: the input of layer l; none for layer 0 or without dropout). */
  private readonly sites: (DropoutSite | null)[];
  /** Adam steps applied (its bias correction counts them). */
  steps = 0;

  constructor(readonly mod: FusedModule, readonly shape: FusedModelShape) {
    const { vocab: V, hidden: H, batch: B, steps: T, layers: L, cell, dropout } = shape;
    if (!(Number.isInteger(L) && L >= 1)) throw new Error(`a model needs at least one layer (got ${L})`);
    if (!(dropout >= 0 && dropout < 1)) throw new Error(`dropout must be in [0, 1) (got ${dropout})`);
    this.layers = [];
    this.sites = [null];
    for (let l = 0; l < L; l++) {
      if (l === 0) {
        this.layers.push(FusedLayer.create(mod, { cell, input: V, hidden: H, batch: B, steps: T }));
        continue;
      }
      const below = this.layers[l - 1].pointers;
      let input = { x: below.output, dX: below.dH };
      if (dropout > 0) {
        const site = { x: mod.alloc(T * B * H * 4), dX: mod.alloc(T * B * H * 4), mask: new Float32Array(T * B * H) };
        this.sites.push(site);
        input = { x: site.x, dX: site.dX };
      } else {
        this.sites.push(null);
      }
      this.layers.push(FusedLayer.create(mod, { cell, input: H, hidden: H, batch: B, steps: T }, input));
    }
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
    const seg = (p: number, g: number, n: number): Segment => ({ p, g, n, m: mod.alloc(n * 4), v: mod.alloc(n * 4) });
    this.segments = [
      ...this.layers.flatMap((layer) => layer.parameterBuffers().map((b) => seg(b.p, b.g, b.n))),
      seg(this.wy, this.dWy, H * Vp),
      seg(this.by, this.dby, Vp),
    ];
  }

  get top(): FusedLayer {
    return this.layers[this.layers.length - 1];
  }

  /** Copies weights in the engine's shapes and order (as `SequenceModel.named`). */
  setWeights(values: Float32Array[]): void {
    const params = this.parameters();
    if (values.length !== params.length) throw new Error(`the model has ${params.length} parameters; got ${values.length}`);
    values.forEach((src, k) => this.padInto(k, src, params[k].p));
  }

  /** [H, Vp] W_y as stored (columns V..Vp−1 are padding and stay 0). */
  get WyPadded(): Float32Array {
    return this.mod.f32(this.wy, this.shape.hidden * this.Vp);
  }

  /**
   * One training step on a window: x, y [T·B] time-major (row t·B + b), T ≤ shape.steps.
   * `dropoutSeed` draws this step's masks. Carries the final state into the next window when the
   * step is applied.
   */
  step(x: Int32Array, y: Int32Array, opt: AdamOptions, lastStepNorms = false, dropoutSeed = 0): FusedStepResult {
    const { loss, T } = this.gradients(x, y, lastStepNorms, dropoutSeed);
    return this.apply(loss, T, opt);
  }

  /**
   * The window's loss and every parameter's gradient (in the module's gradient buffers), without
   * touching weights or the carried state; `lastStepNorms` also fills the top layer's dhLast/dcLast.
   */
  gradients(x: Int32Array, y: Int32Array, lastStepNorms = false, dropoutSeed = 0): { loss: number; T: number } {
    const { loss, T } = this.forwardLoss(x, y, this.shape.dropout > 0 ? new Rng(dropoutSeed * 7919 + 1) : null);
    for (let l = this.layers.length - 1; l >= 0; l--) {
      this.layers[l].backward(T);
      const site = this.sites[l];
      if (site) {
        // ∂L/∂(layer below's output) = ∂L/∂(masked input) ⊙ mask
        const n = T * this.shape.batch * this.shape.hidden;
        const dX = this.mod.f32(site.dX, n);
        const dH = this.layers[l - 1].dH;
        for (let k = 0; k < n; k++) dH[k] = dX[k] * site.mask[k];
      }
    }
    // Before the update: the last step's gradient flows back through the weights that produced it.
    if (lastStepNorms) this.top.lastStepNorms(T);
    return { loss, T };
  }

  /** Global norm of the gradients in the module's buffers (float64 sums). */
  gradientNorm(): number {
    let sq = 0;
    for (const s of this.segments) sq += this.mod.exports.sumSquares(s.g, s.n);
    return Math.sqrt(sq);
  }

  /** The gradient buffers as views, in parameter order (padded as the weights are). */
  gradientViews(): Float32Array[] {
    return this.segments.map((s) => this.mod.f32(s.g, s.n));
  }

  /** Clips and applies the gradients in the module's buffers with Adam, then carries the state. */
  apply(loss: number, T: number, opt: AdamOptions): FusedStepResult {
    const e = this.mod.exports;
    const gradNorm = this.gradientNorm();
    const finite = Number.isFinite(loss) && Number.isFinite(gradNorm);
    const clip = opt.clipNorm;
    const clipped = clip > 0 && gradNorm > clip;
    if (finite) {
      const scale = clipped ? clip / gradNorm : 1;
      this.steps++;
      for (const s of this.segments) {
        e.adamStep(s.p, s.g, s.m, s.v, s.n, opt.learningRate, opt.beta1 ?? 0.9, opt.beta2 ?? 0.999, opt.epsilon ?? 1e-7, this.steps, scale);
      }
      this.carryState(T);
    }
    return { loss, gradNorm, clipped, finite };
  }

  carryState(T: number): void {
    for (const layer of this.layers) layer.carryState(T);
  }

  resetState(): void {
    for (const layer of this.layers) layer.resetState();
  }

  /**
   * Mean cross-entropy of one window from the carried state (no dropout), which then moves on to
   * the window's end; the weights do not change (the gradient buffers are overwritten).
   */
  windowLoss(x: Int32Array, y: Int32Array): number {
    const { loss, T } = this.forwardLoss(x, y, null);
    this.carryState(T);
    return loss;
  }

  /**
   * The window's forward pass (dropout masks drawn from `rng` when given) and the output layer:
   * returns the mean cross-entropy and leaves ∂L/∂H in the top layer's dH (and the output layer's
   * gradients) for a backward pass.
   */
  private forwardLoss(x: Int32Array, y: Int32Array, rng: Rng | null): { loss: number; T: number } {
    const { vocab: V, hidden: H, batch: B, dropout } = this.shape;
    const N = x.length;
    const T = N / B;
    if (!Number.isInteger(T) || y.length !== N) throw new Error(`a window of ${N} inputs and ${y.length} targets does not split into ${B} streams`);
    this.layers[0].ids.set(x);
    const targets = this.mod.i32(this.targets, N);
    for (let k = 0; k < N; k++) {
      if (!(y[k] >= 0 && y[k] < V)) throw new Error(`target ${y[k]} at ${k} is outside [0, ${V})`);
      targets[k] = y[k];
    }
    const keep = 1 / (1 - dropout);
    this.layers.forEach((layer, l) => {
      const site = this.sites[l];
      if (site) {
        // Inverted dropout: kept units scaled by 1/(1 − rate); without rng (evaluation) all kept, unscaled.
        const n = N * H;
        const below = this.layers[l - 1].output(T);
        const xs = this.mod.f32(site.x, n);
        for (let k = 0; k < n; k++) {
          const m = rng ? (rng.next() >= dropout ? keep : 0) : 1;
          site.mask[k] = m;
          xs[k] = below[k] * m;
        }
      }
      layer.forward(T);
    });
    const top = this.top.pointers;
    const loss = this.mod.exports.headForwardBackward(N, H, V, this.Vp, top.output, this.targets, this.wy, this.by, this.logits, top.dH, this.dWy, this.dby, this.scratchA, this.scratchB);
    return { loss, T };
  }

  /** A copy of every layer's carried state, to put back with `restoreState`. */
  saveState(): { h: Float32Array; c: Float32Array }[] {
    return this.layers.map((layer) => ({ h: layer.h0.slice(), c: layer.c0.slice() }));
  }

  restoreState(s: { h: Float32Array; c: Float32Array }[]): void {
    this.layers.forEach((layer, l) => {
      layer.h0.set(s[l].h);
      layer.c0.set(s[l].c);
    });
  }

  /** Each parameter's weights and Adam moments, in the engine's order (W_y padded). */
  parameters(): { p: Float32Array; m: Float32Array; v: Float32Array }[] {
    return this.segments.map((s) => ({ p: this.mod.f32(s.p, s.n), m: this.mod.f32(s.m, s.n), v: this.mod.f32(s.v, s.n) }));
  }

  private get wyIndex(): number {
    return this.segments.length - 2;
  }

  /** Parameter k of `parameters()` in the engine's shape (W_y and b_y without their padding), as a copy. */
  unpadded(k: number, data: Float32Array): Float32Array {
    const { vocab: V, hidden: H } = this.shape;
    if (k === this.wyIndex) {
      const out = new Float32Array(H * V);
      for (let r = 0; r < H; r++) out.set(data.subarray(r * this.Vp, r * this.Vp + V), r * V);
      return out;
    }
    return Float32Array.from(k === this.wyIndex + 1 ? data.subarray(0, V) : data);
  }

  /** Writes parameter k's values in the engine's shape into `dst` (a view of `parameters()`), padding with zeros. */
  padInto(k: number, src: Float32Array, dst: Float32Array): void {
    const { vocab: V, hidden: H } = this.shape;
    const want = k === this.wyIndex ? H * V : k === this.wyIndex + 1 ? V : dst.length;
    if (src.length !== want) throw new Error(`parameter ${k} has ${want} values; got ${src.length}`);
    dst.fill(0);
    if (k === this.wyIndex) for (let r = 0; r < H; r++) dst.set(src.subarray(r * V, (r + 1) * V), r * this.Vp);
    else dst.set(src);
  }
}
