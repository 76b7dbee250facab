/**
 * One recurrent layer (any cell of cells.ts) over a BPTT window: the forward pass keeps what the
 * backward pass needs; the backward pass walks the window in reverse carrying ∂L/∂h (and ∂L/∂c),
 * forms the weight gradients and, for a layer reading the layer below, ∂L/∂x; ‖∂L/∂h_t‖ and
 * ‖∂L/∂c_t‖ are by-products.
 *
 * Layout matches src/engine/layer.ts: pre-activations z = x_t·W_x + b + h_{t−1}·W_h are
 * [B, K·H] in the cell's block order (the GRU's candidate block takes (r⊙h_{t−1})·W_hn instead);
 * rows of window-wide arrays are time-major (row t·B + b). The first layer reads token ids (its
 * input projection is a row gather); the others read x [T·B, D] (one matrix product per window).
 *
 * All buffers are described by the layer descriptor (desc.ts); the JS side allocates them.
 */
import {
  CELL_CIFG, CELL_GRU, CELL_LSTM, CELL_NOFORGET, CELL_PEEPHOLE, CELL_RNN, field, ptr, zero,
  L_B, L_BIAS, L_CELL, L_CS, L_D, L_DB, L_DCC, L_DCLAST, L_DCNORM, L_DH, L_DHC, L_DHLAST,
  L_DHNORM, L_DP, L_DWH, L_DWX, L_DX, L_DZ, L_DZA, L_DZB, L_GATES, L_H, L_HA, L_HS, L_IDS, L_K,
  L_P, L_RH, L_TANHC, L_WH, L_WHB, L_WHNTB, L_WHTB, L_WX, L_WXB, L_WXTB, L_X, L_XA,
} from './desc';
import {
  gruBack, gruGates, gruOut, lstmBack, lstmStep, peepholeBack, peepholeStep, rnnBack, rnnStep,
  threeGateBack, threeGateStep,
} from './cells';
import { gemm, gemv, packA, packB, packBT } from './gemm';

// Profiling: wall time per phase, accumulated when enabled (the import is only called then).
@external("env", "now")
declare function now(): f64;
const P_FWD_GEMM = 0;
const P_FWD_ELEM = 1;
const P_BWD_GEMM = 2;
const P_BWD_ELEM = 3;
const P_DW_GEMM = 4;
const P_COUNT = 5;
let profiling = false;
// Static data (below __heap_base), so the JS allocator never hands this area out.
const profile = memory.data(P_COUNT * 8, 8);
let mark: f64 = 0;

// @ts-ignore: decorator
@inline function tick(phase: i32): void {
  if (profiling) {
    const t = now();
    const p = profile + (<usize>phase << 3);
    store<f64>(p, load<f64>(p) + t - mark);
    mark = t;
  }
}

// @ts-ignore: decorator
@inline function restart(): void {
  if (profiling) mark = now();
}

/** Turns phase timing on or off and clears the totals. */
export function setProfiling(on: bool): void {
  profiling = on;
  memory.fill(profile, 0, P_COUNT * 8);
}

/** Milliseconds spent in a phase since setProfiling(true) (0 fwd GEMM, 1 fwd elementwise, 2 bwd GEMM, 3 bwd elementwise, 4 dW GEMM). */
export function profileMs(phase: i32): f64 {
  return load<f64>(profile + (<usize>phase << 3));
}

/**
 * Forward over T ≤ Tmax steps from the state in rows 0 of HS (and CS). Leaves h_1…h_T in HS (the
 * layer's output, [T·B, H] from row B on) and what the backward pass reads. B may be 1 (one
 * stream read for inspection, with matrix–vector products); the backward pass needs B % 4 == 0.
 */
export function layerForward(desc: usize, T: i32): void {
  const D = field(desc, L_D);
  const H = field(desc, L_H);
  const B = field(desc, L_B);
  const cell = field(desc, L_CELL);
  const G = field(desc, L_K) * H;
  const wx = ptr(desc, L_WX);
  const bias = ptr(desc, L_BIAS);
  const ids = ptr(desc, L_IDS);
  const x = ptr(desc, L_X);
  const hs = ptr(desc, L_HS);
  const cs = ptr(desc, L_CS);
  const gates = ptr(desc, L_GATES);
  const tanhc = ptr(desc, L_TANHC);
  const whb = ptr(desc, L_WHB);
  const ha = ptr(desc, L_HA);
  const stateBytes = <usize>(B * H) << 2;
  const zBytes = <usize>(B * G) << 2;
  // The GRU's recurrent product covers z and r first; n's comes after the reset gate.
  const Nr = cell == CELL_GRU ? 2 * H : G;

  restart();
  packB(ptr(desc, L_WH), G, H, G, whb, H, 0);
  if (x != 0) {
    // z = x·W_x + b for the whole window in one product.
    const xa = ptr(desc, L_XA);
    const wxb = ptr(desc, L_WXB);
    packB(wx, G, D, G, wxb, D, 0);
    if (B == 1) {
      for (let r = 0; r < T; r++) gemv(G, D, x + (<usize>(r * D) << 2), wxb, gates + (<usize>(r * G) << 2), false);
    } else {
      packA(x, D, T * B, D, xa);
      gemm(T * B, G, D, xa, <usize>D << 4, 16, wxb, gates, G, false);
    }
    tick(P_FWD_GEMM);
    for (let r = 0; r < T * B; r++) {
      const dst = gates + (<usize>(r * G) << 2);
      for (let n = 0; n < G; n += 4) {
        const o = <usize>n << 2;
        v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(bias + o)));
      }
    }
    tick(P_FWD_ELEM);
  }
  for (let t = 0; t < T; t++) {
    const z = gates + <usize>t * zBytes;
    if (x == 0) {
      // z = W_x[id] + b: the one-hot input projection is a row gather.
      for (let b = 0; b < B; b++) {
        const id = load<i32>(ids + (<usize>(t * B + b) << 2));
        const src = wx + (<usize>id * <usize>G << 2);
        const dst = z + (<usize>(b * G) << 2);
        for (let n = 0; n < G; n += 4) {
          const o = <usize>n << 2;
          v128.store(dst + o, f32x4.add(v128.load(src + o), v128.load(bias + o)));
        }
      }
      tick(P_FWD_ELEM);
    }
    const hp = hs + <usize>t * stateBytes;
    const hn = hp + stateBytes;
    const cp = cs + <usize>t * stateBytes;
    const tc = tanhc + <usize>t * stateBytes;
    // z += h_{t−1}·W_h
    if (B == 1) gemv(Nr, H, hp, whb, z, true);
    else {
      packA(hp, H, B, H, ha);
      gemm(B, Nr, H, ha, <usize>H << 4, 16, whb, z, G, true);
    }
    tick(P_FWD_GEMM);
    if (cell == CELL_LSTM) lstmStep(z, cp, hn, tc, B, H);
    else if (cell == CELL_PEEPHOLE) peepholeStep(z, cp, hn, tc, ptr(desc, L_P), B, H);
    else if (cell == CELL_NOFORGET || cell == CELL_CIFG) threeGateStep(z, cp, hn, tc, B, H, cell == CELL_CIFG);
    else if (cell == CELL_RNN) rnnStep(z, hn, B, H);
    else {
      const rh = ptr(desc, L_RH) + <usize>t * stateBytes;
      gruGates(z, hp, rh, B, H);
      tick(P_FWD_ELEM);
      const whn = whb + <usize>(2 * H / 8) * (<usize>H << 5);
      if (B == 1) gemv(H, H, rh, whn, z + (<usize>(2 * H) << 2), true);
      else {
        packA(rh, H, B, H, ha);
        gemm(B, H, H, ha, <usize>H << 4, 16, whn, z + (<usize>(2 * H) << 2), G, true);
      }
      tick(P_FWD_GEMM);
      gruOut(z, hp, hn, B, H);
    }
    tick(P_FWD_ELEM);
  }
}

/**
 * Backward over the T steps of the last forward pass, ∂L/∂h_t read from DH. Writes (or, with
 * `accumulate`, adds to) DWX, DWH, DB (and DP), writes DX for a layer reading the layer below,
 * and DHNORM[t] = ‖∂L/∂h_t‖, DCNORM[t] = ‖∂L/∂c_t‖. W_h and W_x must not have changed since.
 */
export function layerBackward(desc: usize, T: i32, accumulate: bool): void {
  layerBackwardState(desc, T, accumulate, false, false);
}

/**
 * `layerBackward` for a layer whose state comes from, or goes to, another layer (an encoder's
 * final state starts a decoder). With `carryIn`, DCC holds ∂L/∂c_T from outside when called (add
 * ∂L/∂h_T from outside to DH's last row yourself). With `stateOut`, DHC and DCC hold ∂L/∂h_0 and
 * ∂L/∂c_0 afterwards: the gradient reaching the state the window started from.
 */
export function layerBackwardState(desc: usize, T: i32, accumulate: bool, carryIn: bool, stateOut: bool): void {
  const D = field(desc, L_D);
  const H = field(desc, L_H);
  const B = field(desc, L_B);
  const cell = field(desc, L_CELL);
  const G = field(desc, L_K) * H;
  const x = ptr(desc, L_X);
  const dzb = ptr(desc, L_DZB);
  const dwh = ptr(desc, L_DWH);
  if (!accumulate) {
    zero(ptr(desc, L_DWX), D * G);
    zero(dwh, H * G);
    zero(ptr(desc, L_DB), G);
    if (cell == CELL_PEEPHOLE) zero(ptr(desc, L_DP), 3 * H);
  }
  if (x != 0) packBT(ptr(desc, L_WX), G, G, D, ptr(desc, L_WXTB));
  walkBack(desc, T, true, carryIn, stateOut);
  // ∂L/∂W_h = Σ_t h_{t−1}ᵀ·dz_t as one product over the window: rows 0..T·B−1 of HS are
  // h_0 … h_{T−1}, i.e. the transposed A operand in place. (GRU: the candidate block's is
  // Σ (r⊙h_{t−1})ᵀ·dz_n.)
  restart();
  const hs = ptr(desc, L_HS);
  const stride = <usize>H << 2;
  if (cell == CELL_GRU) {
    gemm(H, 2 * H, T * B, hs, 16, stride, dzb, dwh, G, true);
    const nPanels = dzb + <usize>(2 * H / 8) * (<usize>(T * B) << 5);
    gemm(H, H, T * B, ptr(desc, L_RH), 16, stride, nPanels, dwh + (<usize>(2 * H) << 2), G, true);
  } else {
    gemm(H, G, T * B, hs, 16, stride, dzb, dwh, G, true);
  }
  // ∂L/∂W_x = Σ_t x_tᵀ·dz_t, x in place the same way.
  if (x != 0) gemm(D, G, T * B, x, 16, <usize>D << 2, dzb, ptr(desc, L_DWX), G, true);
  tick(P_DW_GEMM);
}

/**
 * The same recursion with only the last step's ∂ℓ_T/∂h_T injected, for the vanishing/exploding
 * gradient picture: fills DHLAST and DCLAST, touches no gradient.
 */
export function layerLastStepNorms(desc: usize, T: i32): void {
  walkBack(desc, T, false, false, false);
}

function walkBack(desc: usize, T: i32, full: bool, carryIn: bool, stateOut: bool): void {
  const D = field(desc, L_D);
  const H = field(desc, L_H);
  const B = field(desc, L_B);
  const cell = field(desc, L_CELL);
  const G = field(desc, L_K) * H;
  const gru = cell == CELL_GRU;
  const dH = ptr(desc, L_DH);
  const dhc = ptr(desc, L_DHC);
  const dcc = ptr(desc, L_DCC);
  const dz = ptr(desc, L_DZ);
  const dza = ptr(desc, L_DZA);
  const whtb = ptr(desc, L_WHTB);
  const x = ptr(desc, L_X);
  const dx = ptr(desc, L_DX);
  const stateBytes = <usize>(B * H) << 2;
  const hNorm = ptr(desc, full ? L_DHNORM : L_DHLAST);
  const cNorm = ptr(desc, full ? L_DCNORM : L_DCLAST);
  // Columns of dz that reach h_{t−1} through W_h (the GRU's candidate block goes through r⊙h').
  const Kr = gru ? 2 * H : G;

  restart();
  packBT(ptr(desc, L_WH), G, Kr, H, whtb);
  if (gru) packBT(ptr(desc, L_WH) + (<usize>(2 * H) << 2), G, H, H, ptr(desc, L_WHNTB));
  if (!carryIn) zero(dcc, B * H);
  memory.copy(dhc, dH + <usize>(T - 1) * stateBytes, stateBytes);
  tick(P_BWD_ELEM);
  for (let t = T - 1; t >= 0; t--) {
    let norms: v128;
    if (cell == CELL_LSTM) norms = lstmBack(desc, t);
    else if (cell == CELL_PEEPHOLE) norms = peepholeBack(desc, t, full);
    else if (cell == CELL_NOFORGET || cell == CELL_CIFG) norms = threeGateBack(desc, t, cell == CELL_CIFG);
    else if (cell == CELL_RNN) norms = rnnBack(desc, t);
    else norms = gruBack(desc, t);
    store<f32>(hNorm + (<usize>t << 2), <f32>Math.sqrt(<f64>f32x4.extract_lane(norms, 0)));
    store<f32>(cNorm + (<usize>t << 2), <f32>Math.sqrt(<f64>f32x4.extract_lane(norms, 1)));
    if (full) {
      packB(dz, G, B, G, ptr(desc, L_DZB), T * B, t * B);
      addInputGrads(desc, t);
    }
    tick(P_BWD_ELEM);
    if (full && x != 0) {
      // ∂L/∂x_t = dz_t·W_xᵀ, for the layer below.
      packA(dz, G, B, G, dza);
      gemm(B, D, G, dza, <usize>G << 4, 16, ptr(desc, L_WXTB), dx + <usize>t * (<usize>(B * D) << 2), D, false);
      tick(P_BWD_GEMM);
    }
    // ∂L/∂h_0 leaves the window (truncated BPTT), unless asked for.
    if (t == 0 && !stateOut) break;
    // ∂L/∂h_{t−1} = (from above) + (GRU: the direct part) + dz_t·W_hᵀ; h_0 has nothing above.
    if (full && t > 0) memory.copy(dhc, dH + <usize>(t - 1) * stateBytes, stateBytes);
    else zero(dhc, B * H);
    if (gru) {
      for (let k = 0; k < B * H; k += 4) {
        const o = <usize>k << 2;
        v128.store(dhc + o, f32x4.add(v128.load(dhc + o), v128.load(dcc + o)));
      }
    }
    tick(P_BWD_ELEM);
    packA(dz, G, B, Kr, dza);
    gemm(B, H, Kr, dza, <usize>Kr << 4, 16, whtb, dhc, H, true);
    tick(P_BWD_GEMM);
  }
  tick(P_BWD_ELEM);
}

/**
 * db += Σ_b dz_t[b]; for the first layer, row id of W_x receives dz_t[b] for each b whose input
 * was token id (the gradient of the one-hot projection is a scatter-add). Runs right after the
 * step's dz is written, while it is still in cache.
 */
function addInputGrads(desc: usize, t: i32): void {
  const B = field(desc, L_B);
  const G = field(desc, L_K) * field(desc, L_H);
  const gb = <usize>G << 2;
  const ids = ptr(desc, L_IDS);
  const dwx = ptr(desc, L_DWX);
  const db = ptr(desc, L_DB);
  const dz0 = ptr(desc, L_DZ);
  for (let b = 0; b < B; b++) {
    const dz = dz0 + <usize>b * gb;
    if (ids != 0) {
      const wrow = dwx + <usize>load<i32>(ids + (<usize>(t * B + b) << 2)) * gb;
      for (let n = 0; n < G; n += 4) {
        const o = <usize>n << 2;
        const d = v128.load(dz + o);
        v128.store(db + o, f32x4.add(v128.load(db + o), d));
        v128.store(wrow + o, f32x4.add(v128.load(wrow + o), d));
      }
    } else {
      for (let n = 0; n < G; n += 4) {
        const o = <usize>n << 2;
        v128.store(db + o, f32x4.add(v128.load(db + o), v128.load(dz + o)));
      }
    }
  }
}
