/**
 * One LSTM layer with one-hot input run by the fused wasm kernels: forward and backward over a
 * whole BPTT window in one call each, on Float32Array views of the module's memory.
 *
 * Same math and layout as `recurrentLayer` with the `lstm` cell (src/engine/layer.ts): gate blocks
 * [i, f, o, g], rows time-major (t·B + b), H output [T·B, H].
 */
import type { FusedModule } from './module';

/** Descriptor field indices; must match the L_* constants in wasm/lstm/lstm.ts. */
const enum F {
  D, H, B, TMAX,
  WX, WH, BIAS, IDS, HS, CS, GATES, TANHC, DH, DWX, DWH, DB, DHNORM, DCNORM, DHLAST, DCLAST,
  WHB, WHTB, HA, DZ, DZA, DZB, DHC, DCC,
  COUNT,
}

export interface FusedLstmShape {
  /** One-hot input width (vocabulary size). */ vocab: number;
  /** Hidden units; a multiple of 8. */ hidden: number;
  /** Batch streams; a multiple of 4. */ batch: number;
  /** Longest window (T) the layer will be run over. */ steps: number;
}

/** Phase names of `FusedModule.exports.profileMs`, in index order. */
export const PROFILE_PHASES = ['forwardGemm', 'forwardElementwise', 'backwardGemm', 'backwardElementwise', 'weightGradGemm'] as const;

export class FusedLstmLayer {
  private readonly desc: number;
  private readonly p: number[];

  private constructor(readonly mod: FusedModule, readonly shape: FusedLstmShape) {
    const { vocab: D, hidden: H, batch: B, steps: T } = shape;
    if (H % 8 !== 0 || B % 4 !== 0) throw new Error(`fused LSTM needs hidden % 8 == 0 and batch % 4 == 0 (got ${H}, ${B})`);
    const G = 4 * H;
    const floats: [F, number][] = [
      [F.WX, D * G], [F.WH, H * G], [F.BIAS, G], [F.IDS, T * B], [F.HS, (T + 1) * B * H], [F.CS, (T + 1) * B * H],
      [F.GATES, T * B * G], [F.TANHC, T * B * H], [F.DH, T * B * H], [F.DWX, D * G], [F.DWH, H * G], [F.DB, G],
      [F.DHNORM, T], [F.DCNORM, T], [F.DHLAST, T], [F.DCLAST, T], [F.WHB, H * G], [F.WHTB, H * G], [F.HA, B * H],
      [F.DZ, B * G], [F.DZA, B * G], [F.DZB, T * B * G], [F.DHC, B * H], [F.DCC, B * H],
    ];
    this.desc = mod.alloc(F.COUNT * 4);
    this.p = new Array<number>(F.COUNT).fill(0);
    for (const [f, n] of floats) this.p[f] = mod.alloc(n * 4);
    const d = mod.i32(this.desc, F.COUNT);
    d.set(this.p);
    d[F.D] = D;
    d[F.H] = H;
    d[F.B] = B;
    d[F.TMAX] = T;
  }

  /** Allocates the layer's buffers in `mod` (zeroed: the initial state is 0). */
  static create(mod: FusedModule, shape: FusedLstmShape): FusedLstmLayer {
    return new FusedLstmLayer(mod, shape);
  }

  private get G(): number { return 4 * this.shape.hidden; }
  private get BH(): number { return this.shape.batch * this.shape.hidden; }

  /** [D, 4H] */ get Wx(): Float32Array { return this.mod.f32(this.p[F.WX], this.shape.vocab * this.G); }
  /** [H, 4H] */ get Wh(): Float32Array { return this.mod.f32(this.p[F.WH], this.shape.hidden * this.G); }
  /** [4H] */ get b(): Float32Array { return this.mod.f32(this.p[F.BIAS], this.G); }
  /** [Tmax·B] token ids of the window, row t·B + b */ get ids(): Int32Array { return this.mod.i32(this.p[F.IDS], this.shape.steps * this.shape.batch); }
  /** [B, H] state carried into the window */ get h0(): Float32Array { return this.mod.f32(this.p[F.HS], this.BH); }
  get c0(): Float32Array { return this.mod.f32(this.p[F.CS], this.BH); }
  /** [T·B, H] the layer's output after `forward(T)` */ output(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.HS] + this.BH * 4, T * this.BH); }
  /** [B, H] h_T after `forward(T)` */ hT(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.HS] + T * this.BH * 4, this.BH); }
  cT(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.CS] + T * this.BH * 4, this.BH); }
  /** [T·B, 4H] gate activations i, f, o, g per step (for traces) */ gates(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.GATES], T * this.shape.batch * this.G); }
  /** [Tmax·B, H] ∂L/∂H from above: write before `backward` */ get dH(): Float32Array { return this.mod.f32(this.p[F.DH], this.shape.steps * this.BH); }
  get dWx(): Float32Array { return this.mod.f32(this.p[F.DWX], this.shape.vocab * this.G); }
  get dWh(): Float32Array { return this.mod.f32(this.p[F.DWH], this.shape.hidden * this.G); }
  get db(): Float32Array { return this.mod.f32(this.p[F.DB], this.G); }
  /** [T] ‖∂L/∂h_t‖ */ dhNorm(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.DHNORM], T); }
  /** [T] ‖∂L/∂c_t‖ */ dcNorm(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.DCNORM], T); }
  /** [T] ‖∂ℓ_T/∂h_t‖ after `lastStepNorms` */ dhLast(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.DHLAST], T); }
  dcLast(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.DCLAST], T); }

  /** Byte offsets of buffers other kernels in the same module may read or write directly. */
  get pointers(): { Wx: number; Wh: number; b: number; output: number; dH: number; dWx: number; dWh: number; db: number } {
    return { Wx: this.p[F.WX], Wh: this.p[F.WH], b: this.p[F.BIAS], output: this.p[F.HS] + this.BH * 4, dH: this.p[F.DH], dWx: this.p[F.DWX], dWh: this.p[F.DWH], db: this.p[F.DB] };
  }

  /** Runs the window's T steps from (h0, c0); ids must be set. */
  forward(T = this.shape.steps): void {
    this.checkSteps(T);
    const ids = this.ids;
    const V = this.shape.vocab;
    for (let k = 0; k < T * this.shape.batch; k++) {
      const id = ids[k];
      if (!(id >= 0 && id < V)) throw new Error(`token id ${id} at ${k} is outside [0, ${V})`);
    }
    this.mod.exports.lstmForward(this.desc, T);
  }

  /** Gradients of the last forward window from dH; `accumulate` adds to dWx/dWh/db instead of overwriting. */
  backward(T = this.shape.steps, accumulate = false): void {
    this.checkSteps(T);
    this.mod.exports.lstmBackward(this.desc, T, accumulate ? 1 : 0);
  }

  /** ‖∂ℓ_T/∂h_t‖ and ‖∂ℓ_T/∂c_t‖ (last step's loss only) into dhLast/dcLast; no gradients change. */
  lastStepNorms(T = this.shape.steps): void {
    this.checkSteps(T);
    this.mod.exports.lstmLastStepNorms(this.desc, T);
  }

  /** Moves (h_T, c_T) into (h0, c0): the stateful-BPTT carry to the next window. */
  carryState(T = this.shape.steps): void {
    this.h0.set(this.hT(T));
    this.c0.set(this.cT(T));
  }

  /** Zeroes the carried state (start of the text). */
  resetState(): void {
    this.h0.fill(0);
    this.c0.fill(0);
  }

  private checkSteps(T: number): void {
    if (!(Number.isInteger(T) && T >= 1 && T <= this.shape.steps)) throw new Error(`window of ${T} steps; this layer holds 1..${this.shape.steps}`);
  }
}
