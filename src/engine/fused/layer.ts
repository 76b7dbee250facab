/**
 * One recurrent layer (any cell) run by the fused wasm kernels: forward and backward over a whole
 * BPTT window in one call each, on Float32Array views of the module's memory.
 *
 * Same math and layout as `recurrentLayer` (src/engine/layer.ts): the cell's gate blocks, rows
 * time-major (t·B + b), output [T·B, H]. The first layer reads token ids; a layer above reads an
 * input buffer [T·B, D] and writes ∂L/∂input into another (the layer below's output and ∂L/∂h
 * when nothing sits between them, so no copy is made).
 */
import type { CellName } from '../../protocol/runConfig';
import type { FusedModule } from './module';

/** Descriptor field indices; must match the L_* constants in wasm/lstm/desc.ts. */
const enum F {
  D, H, B, TMAX, CELL, K,
  WX, WH, BIAS, P, IDS, X,
  HS, CS, GATES, TANHC, RH,
  DH, DWX, DWH, DB, DP, DX, DHNORM, DCNORM, DHLAST, DCLAST,
  WHB, WHTB, WHNTB, HA, DZ, DZA, DZB, DHC, DCC, WXB, WXTB, XA, DRH,
  COUNT,
}

/** Each cell's kind code (CELL_* in wasm/lstm/desc.ts) and number of H-wide blocks. */
const CELLS: Record<CellName, { code: number; blocks: number; hasC: boolean }> = {
  lstm: { code: 0, blocks: 4, hasC: true },
  peephole: { code: 1, blocks: 4, hasC: true },
  noforget: { code: 2, blocks: 3, hasC: true },
  cifg: { code: 3, blocks: 3, hasC: true },
  gru: { code: 4, blocks: 3, hasC: false },
  rnn: { code: 5, blocks: 1, hasC: false },
};

export interface FusedLayerShape {
  cell: CellName;
  /** Input width: the vocabulary size (token ids) or the layer below's width (a multiple of 8). */ input: number;
  /** Hidden units; a multiple of 8. */ hidden: number;
  /** Batch streams; a multiple of 4, or 1 for a layer only run forward. */ batch: number;
  /** Longest window (T) the layer will be run over. */ steps: number;
}

/** Byte offsets of a layer's input [Tmax·B, D] and of where ∂L/∂input goes; absent: token ids. */
export interface FusedLayerInput {
  x: number;
  dX: number;
}

/** Phase names of `FusedModule.exports.profileMs`, in index order. */
export const PROFILE_PHASES = ['forwardGemm', 'forwardElementwise', 'backwardGemm', 'backwardElementwise', 'weightGradGemm'] as const;

export class FusedLayer {
  private readonly desc: number;
  private readonly p: number[];
  /** H-wide blocks of the cell's pre-activations. */ readonly blocks: number;
  /** True for cells with a cell state c. */ readonly hasCellState: boolean;

  private constructor(readonly mod: FusedModule, readonly shape: FusedLayerShape, input?: FusedLayerInput) {
    const { input: D, hidden: H, batch: B, steps: T, cell } = shape;
    if (H % 8 !== 0 || !(B % 4 === 0 || B === 1)) throw new Error(`fused layers need hidden % 8 == 0 and batch % 4 == 0 or 1 (got ${H}, ${B})`);
    if (input && D % 8 !== 0) throw new Error(`a fused layer's input width must be a multiple of 8 (got ${D})`);
    const kind = CELLS[cell];
    this.blocks = kind.blocks;
    this.hasCellState = kind.hasC;
    const G = kind.blocks * H;
    const hasC = kind.hasC;
    const gru = cell === 'gru';
    const peep = cell === 'peephole';
    const S = (T + 1) * B * H;
    const floats: [F, number][] = [
      [F.WX, D * G], [F.WH, H * G], [F.BIAS, G], [F.HS, S], [F.GATES, T * B * G],
      [F.DH, T * B * H], [F.DWX, D * G], [F.DWH, H * G], [F.DB, G],
      [F.DHNORM, T], [F.DCNORM, T], [F.DHLAST, T], [F.DCLAST, T], [F.WHB, H * G], [F.WHTB, H * G], [F.HA, B * H],
      [F.DZ, B * G], [F.DZA, B * G], [F.DZB, T * B * G], [F.DHC, B * H], [F.DCC, B * H],
    ];
    if (hasC) floats.push([F.CS, S], [F.TANHC, T * B * H]);
    if (gru) floats.push([F.RH, T * B * H], [F.WHNTB, H * H], [F.DRH, B * H]);
    if (peep) floats.push([F.P, 3 * H], [F.DP, 3 * H]);
    if (input) floats.push([F.WXB, D * G], [F.WXTB, D * G], [F.XA, T * B * D]);
    else floats.push([F.IDS, T * B]);
    this.desc = mod.alloc(F.COUNT * 4);
    this.p = new Array<number>(F.COUNT).fill(0);
    for (const [f, n] of floats) this.p[f] = mod.alloc(Math.max(n, 4) * 4);
    if (input) {
      this.p[F.X] = input.x;
      this.p[F.DX] = input.dX;
    }
    const d = mod.i32(this.desc, F.COUNT);
    d.set(this.p);
    d[F.D] = D;
    d[F.H] = H;
    d[F.B] = B;
    d[F.TMAX] = T;
    d[F.CELL] = kind.code;
    d[F.K] = kind.blocks;
  }

  /** Allocates the layer's buffers in `mod` (zeroed: the initial state is 0). Without `input` it reads token ids. */
  static create(mod: FusedModule, shape: FusedLayerShape, input?: FusedLayerInput): FusedLayer {
    return new FusedLayer(mod, shape, input);
  }

  private get G(): number { return this.blocks * this.shape.hidden; }
  private get BH(): number { return this.shape.batch * this.shape.hidden; }
  private get readsIds(): boolean { return this.p[F.IDS] !== 0; }

  /** [D, G] */ get Wx(): Float32Array { return this.mod.f32(this.p[F.WX], this.shape.input * this.G); }
  /** [H, G] */ get Wh(): Float32Array { return this.mod.f32(this.p[F.WH], this.shape.hidden * this.G); }
  /** [G] */ get b(): Float32Array { return this.mod.f32(this.p[F.BIAS], this.G); }
  /** [3, H] peepholes (peephole cell only) */ get peep(): Float32Array { return this.mod.f32(this.p[F.P], this.p[F.P] ? 3 * this.shape.hidden : 0); }
  /** [Tmax·B] token ids of the window, row t·B + b (first layer only) */ get ids(): Int32Array { return this.mod.i32(this.p[F.IDS], this.readsIds ? this.shape.steps * this.shape.batch : 0); }
  /** [B, H] state carried into the window */ get h0(): Float32Array { return this.mod.f32(this.p[F.HS], this.BH); }
  /** [B, H] (cells with a cell state; empty otherwise) */ get c0(): Float32Array { return this.mod.f32(this.p[F.CS], this.hasCellState ? this.BH : 0); }
  /** [T·B, H] the layer's output after `forward(T)` */ output(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.HS] + this.BH * 4, T * this.BH); }
  /** [B, H] h_T after `forward(T)` */ hT(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.HS] + T * this.BH * 4, this.BH); }
  cT(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.CS] + T * this.BH * 4, this.hasCellState ? this.BH : 0); }
  /** [T·B, G] the cell's blocks after their nonlinearities, per step (for traces) */ gates(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.GATES], T * this.shape.batch * this.G); }
  /** [Tmax·B, H] ∂L/∂H from above: write before `backward` */ get dH(): Float32Array { return this.mod.f32(this.p[F.DH], this.shape.steps * this.BH); }
  get dWx(): Float32Array { return this.mod.f32(this.p[F.DWX], this.shape.input * this.G); }
  get dWh(): Float32Array { return this.mod.f32(this.p[F.DWH], this.shape.hidden * this.G); }
  get db(): Float32Array { return this.mod.f32(this.p[F.DB], this.G); }
  get dPeep(): Float32Array { return this.mod.f32(this.p[F.DP], this.p[F.DP] ? 3 * this.shape.hidden : 0); }
  /** [T] ‖∂L/∂h_t‖ */ dhNorm(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.DHNORM], T); }
  /** [T] ‖∂L/∂c_t‖ (zeros without a cell state) */ dcNorm(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.DCNORM], T); }
  /** [T] ‖∂ℓ_T/∂h_t‖ after `lastStepNorms` */ dhLast(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.DHLAST], T); }
  dcLast(T = this.shape.steps): Float32Array { return this.mod.f32(this.p[F.DCLAST], T); }

  /** Byte offsets of buffers other kernels (and layers) in the same module read or write directly. */
  get pointers(): { output: number; dH: number } {
    return { output: this.p[F.HS] + this.BH * 4, dH: this.p[F.DH] };
  }

  /** The parameters in the engine's order [Wx, Wh, b, (p)] as (weights, gradient, floats). */
  parameterBuffers(): { p: number; g: number; n: number }[] {
    const { input: D, hidden: H } = this.shape;
    const G = this.G;
    const out = [{ p: this.p[F.WX], g: this.p[F.DWX], n: D * G }, { p: this.p[F.WH], g: this.p[F.DWH], n: H * G }, { p: this.p[F.BIAS], g: this.p[F.DB], n: G }];
    if (this.p[F.P]) out.push({ p: this.p[F.P], g: this.p[F.DP], n: 3 * H });
    return out;
  }

  /** Runs the window's T steps from (h0, c0); the ids (first layer) or the input must be set. */
  forward(T = this.shape.steps): void {
    this.checkSteps(T);
    if (this.readsIds) {
      const ids = this.ids;
      const V = this.shape.input;
      for (let k = 0; k < T * this.shape.batch; k++) {
        const id = ids[k];
        if (!(id >= 0 && id < V)) throw new Error(`token id ${id} at ${k} is outside [0, ${V})`);
      }
    }
    this.mod.exports.layerForward(this.desc, T);
  }

  /** Gradients of the last forward window from dH; `accumulate` adds to the weight gradients instead of overwriting. */
  backward(T = this.shape.steps, accumulate = false): void {
    this.checkSteps(T);
    if (this.shape.batch % 4 !== 0) throw new Error(`the backward pass needs batch % 4 == 0 (got ${this.shape.batch})`);
    this.mod.exports.layerBackward(this.desc, T, accumulate ? 1 : 0);
  }

  /**
   * `backward` for a layer whose start state came from another layer, or whose final state goes
   * on to one. `carryIn`: `dcCarry` holds ∂L/∂c_T from outside (add ∂L/∂h_T to dH's last row).
   * `stateOut`: afterwards `dhCarry` and `dcCarry` hold ∂L/∂h_0 and ∂L/∂c_0.
   */
  backwardState(T: number, accumulate: boolean, carryIn: boolean, stateOut: boolean): void {
    this.checkSteps(T);
    if (this.shape.batch % 4 !== 0) throw new Error(`the backward pass needs batch % 4 == 0 (got ${this.shape.batch})`);
    this.mod.exports.layerBackwardState(this.desc, T, accumulate ? 1 : 0, carryIn ? 1 : 0, stateOut ? 1 : 0);
  }

  /** [B, H] ∂L/∂h carried by the backward pass (∂L/∂h_0 after `backwardState` with stateOut). */
  get dhCarry(): Float32Array { return this.mod.f32(this.p[F.DHC], this.BH); }
  /** [B, H] ∂L/∂c carried (cells with a cell state; empty otherwise). */
  get dcCarry(): Float32Array { return this.mod.f32(this.p[F.DCC], this.hasCellState ? this.BH : 0); }

  /** ‖∂ℓ_T/∂h_t‖ and ‖∂ℓ_T/∂c_t‖ (last step's loss only) into dhLast/dcLast; no gradients change. */
  lastStepNorms(T = this.shape.steps): void {
    this.checkSteps(T);
    if (this.shape.batch % 4 !== 0) throw new Error(`the backward pass needs batch % 4 == 0 (got ${this.shape.batch})`);
    this.mod.exports.layerLastStepNorms(this.desc, T);
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
