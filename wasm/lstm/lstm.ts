/**
 * One LSTM layer over a BPTT window with one-hot (token id) input: the forward pass keeps what
 * the backward pass needs, the backward pass walks the window in reverse carrying ∂L/∂h and ∂L/∂c
 * and forms the weight gradients, with ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ as by-products.
 *
 * Layout matches src/engine/cells/lstmFamily.ts and src/engine/layer.ts: pre-activations
 * z = x_t·W_x + b + h_{t-1}·W_h are [B, 4H] in gate blocks [i, f, o, g]; rows of window-wide
 * arrays are time-major (row t·B + b).
 *
 * All buffers are described by a layer descriptor: an array of i32 at `desc` (see the L_* field
 * indices below, mirrored by `F` in src/engine/fused/lstmLayer.ts), holding the sizes and the byte offsets of
 * every buffer. The JS side allocates them; several layers can live in one memory.
 */
import { gemm, packA, packB, packBT } from './gemm';
import { hsum, madd, sigmoid4, tanh4 } from './simd';

// Descriptor fields (i32 index). Sizes first, then byte offsets of f32 buffers (ids: i32).
const L_D = 0; // input width: vocabulary size for one-hot input
const L_H = 1;
const L_B = 2;
const L_TMAX = 3;
const L_WX = 4; // [D, 4H]
const L_WH = 5; // [H, 4H]
const L_BIAS = 6; // [4H]
const L_IDS = 7; // i32 [Tmax·B], token ids in [0, D)
const L_HS = 8; // [(Tmax+1)·B, H]: h_0 (the carried state) then h_1 … h_T (the layer's output)
const L_CS = 9; // [(Tmax+1)·B, H]: c_0 … c_T
const L_GATES = 10; // [Tmax·B, 4H]: i, f, o, g after their nonlinearities
const L_TANHC = 11; // [Tmax·B, H]: tanh(c_t)
const L_DH = 12; // [Tmax·B, H]: ∂L/∂h_t from the layer above (input to backward)
const L_DWX = 13; // [D, 4H]
const L_DWH = 14; // [H, 4H]
const L_DB = 15; // [4H]
const L_DHNORM = 16; // [Tmax] ‖∂L/∂h_t‖
const L_DCNORM = 17; // [Tmax] ‖∂L/∂c_t‖
const L_DHLAST = 18; // [Tmax] ‖∂ℓ_T/∂h_t‖ (lastStepNorms)
const L_DCLAST = 19; // [Tmax] ‖∂ℓ_T/∂c_t‖
const L_WHB = 20; // W_h packed as the B operand of h·W_h: 4H/8 panels of H rows
const L_WHTB = 21; // W_hᵀ packed as the B operand of dz·W_hᵀ: H/8 panels of 4H rows
const L_HA = 22; // h_{t-1} packed as an A operand: [B/4][H][4]
const L_DZ = 23; // [B, 4H] one step's ∂L/∂z
const L_DZA = 24; // dz packed as an A operand: [B/4][4H][4]
const L_DZB = 25; // ∂L/∂z of the whole window packed as a B operand: 4H/8 panels of T·B rows
const L_DHC = 26; // [B, H] ∂L/∂h_t being assembled (from above + from step t+1)
const L_DCC = 27; // [B, H] ∂L/∂c carried from step t+1 to step t

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

// @ts-ignore: decorator
@inline function field(desc: usize, i: i32): i32 {
  return load<i32>(desc + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function ptr(desc: usize, i: i32): usize {
  return <usize>load<i32>(desc + (<usize>i << 2));
}

/** Zeroes n floats (n % 4 == 0). */
function zero(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 2);
}

/**
 * Forward over T ≤ Tmax steps from the state in rows 0 of HS and CS. Leaves h_1…h_T in HS (the
 * layer's output, [T·B, H] from row B on), c_t, gates and tanh(c_t) for the backward pass.
 */
export function lstmForward(desc: usize, T: i32): void {
  const H = field(desc, L_H);
  const B = field(desc, L_B);
  const G = 4 * H;
  const wx = ptr(desc, L_WX);
  const bias = ptr(desc, L_BIAS);
  const ids = ptr(desc, L_IDS);
  const hs = ptr(desc, L_HS);
  const cs = ptr(desc, L_CS);
  const gates = ptr(desc, L_GATES);
  const tanhc = ptr(desc, L_TANHC);
  const whb = ptr(desc, L_WHB);
  const ha = ptr(desc, L_HA);
  const stateBytes = <usize>(B * H) << 2;
  const zBytes = <usize>(B * G) << 2;

  restart();
  packB(ptr(desc, L_WH), G, H, G, whb, H, 0);
  for (let t = 0; t < T; t++) {
    const z = gates + <usize>t * zBytes;
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
    // z += h_{t-1}·W_h
    packA(hs + <usize>t * stateBytes, H, B, H, ha);
    gemm(B, G, H, ha, <usize>H << 4, 16, whb, z, G, true);
    tick(P_FWD_GEMM);
    cellForward(z, cs + <usize>t * stateBytes, hs + <usize>(t + 1) * stateBytes, tanhc + <usize>t * stateBytes, B, H);
    tick(P_FWD_ELEM);
  }
}

/** Gate nonlinearities in place on z, then c_t and h_t, for one step's B rows. */
function cellForward(z0: usize, cPrev0: usize, h0: usize, tc0: usize, B: i32, H: i32): void {
  const hb = <usize>H << 2;
  const stateBytes = <usize>(B * H) << 2;
  for (let b = 0; b < B; b++) {
    const z = z0 + <usize>b * (hb << 2);
    const cp = cPrev0 + <usize>b * hb;
    const cn = cp + stateBytes; // c_t sits one step after c_{t-1} in CS
    const h = h0 + <usize>b * hb;
    const tcp = tc0 + <usize>b * hb;
    for (let j = 0; j < H; j += 4) {
      const o = <usize>j << 2;
      const i = sigmoid4(v128.load(z + o));
      const f = sigmoid4(v128.load(z + hb + o));
      const og = sigmoid4(v128.load(z + 2 * hb + o));
      const g = tanh4(v128.load(z + 3 * hb + o));
      const c = madd(f, v128.load(cp + o), f32x4.mul(i, g));
      const tc = tanh4(c);
      v128.store(z + o, i);
      v128.store(z + hb + o, f);
      v128.store(z + 2 * hb + o, og);
      v128.store(z + 3 * hb + o, g);
      v128.store(cn + o, c);
      v128.store(tcp + o, tc);
      v128.store(h + o, f32x4.mul(og, tc));
    }
  }
}

/**
 * Backward over the T steps of the last forward pass, ∂L/∂h_t read from DH. Writes (or, with
 * `accumulate`, adds to) DWX, DWH and DB, and writes DHNORM[t] = ‖∂L/∂h_t‖, DCNORM[t] = ‖∂L/∂c_t‖.
 * W_h must not have changed since the forward pass.
 */
export function lstmBackward(desc: usize, T: i32, accumulate: bool): void {
  const D = field(desc, L_D);
  const H = field(desc, L_H);
  const B = field(desc, L_B);
  const G = 4 * H;
  if (!accumulate) {
    zero(ptr(desc, L_DWX), D * G);
    zero(ptr(desc, L_DWH), H * G);
    zero(ptr(desc, L_DB), G);
  }
  walkBack(desc, T, true);
  // ∂L/∂W_h = Σ_t h_{t-1}ᵀ·dz_t as one product over the window: rows 0..T·B−1 of HS are
  // h_0 … h_{T-1}, i.e. the transposed A operand in place.
  restart();
  gemm(H, G, T * B, ptr(desc, L_HS), 16, <usize>H << 2, ptr(desc, L_DZB), ptr(desc, L_DWH), G, true);
  tick(P_DW_GEMM);
}

/**
 * The same recursion with only the last step's ∂ℓ_T/∂h_T injected, for the vanishing/exploding
 * gradient picture: fills DHLAST and DCLAST, touches no gradient.
 */
export function lstmLastStepNorms(desc: usize, T: i32): void {
  walkBack(desc, T, false);
}

function walkBack(desc: usize, T: i32, full: bool): void {
  const H = field(desc, L_H);
  const B = field(desc, L_B);
  const G = 4 * H;
  const dH = ptr(desc, L_DH);
  const dhc = ptr(desc, L_DHC);
  const dcc = ptr(desc, L_DCC);
  const dz = ptr(desc, L_DZ);
  const dza = ptr(desc, L_DZA);
  const whtb = ptr(desc, L_WHTB);
  const stateBytes = <usize>(B * H) << 2;
  const hNorm = ptr(desc, full ? L_DHNORM : L_DHLAST);
  const cNorm = ptr(desc, full ? L_DCNORM : L_DCLAST);

  restart();
  packBT(ptr(desc, L_WH), G, G, H, whtb);
  zero(dcc, B * H);
  memory.copy(dhc, dH + <usize>(T - 1) * stateBytes, stateBytes);
  tick(P_BWD_ELEM);
  for (let t = T - 1; t >= 0; t--) {
    const norms = cellBackward(desc, t, full);
    store<f32>(hNorm + (<usize>t << 2), <f32>Math.sqrt(<f64>f32x4.extract_lane(norms, 0)));
    store<f32>(cNorm + (<usize>t << 2), <f32>Math.sqrt(<f64>f32x4.extract_lane(norms, 1)));
    if (full) packB(dz, G, B, G, ptr(desc, L_DZB), T * B, t * B);
    if (t == 0) break; // ∂L/∂h_0 leaves the window: truncated BPTT
    // ∂L/∂h_{t-1} = (from above) + dz_t·W_hᵀ
    if (full) memory.copy(dhc, dH + <usize>(t - 1) * stateBytes, stateBytes);
    else zero(dhc, B * H);
    tick(P_BWD_ELEM);
    packA(dz, G, B, G, dza);
    gemm(B, H, G, dza, <usize>G << 4, 16, whtb, dhc, H, true);
    tick(P_BWD_GEMM);
  }
  tick(P_BWD_ELEM);
}

/**
 * One step back through the cell for all B rows: reads ∂L/∂h_t (DHC) and the carried ∂L/∂c
 * (DCC, replaced by ∂L/∂c_{t-1}), writes dz_t to DZ; with `grads`, adds dz_t into DB and into the
 * rows of DWX picked by the step's token ids. Returns (Σ dh², Σ dc², 0, 0).
 */
function cellBackward(desc: usize, t: i32, grads: bool): v128 {
  const H = field(desc, L_H);
  const B = field(desc, L_B);
  const G = 4 * H;
  const hb = <usize>H << 2;
  const gb = <usize>G << 2;
  const ids = ptr(desc, L_IDS);
  const dwx = ptr(desc, L_DWX);
  const db = ptr(desc, L_DB);
  const one = f32x4.splat(1.0);
  let sh = f32x4.splat(0);
  let sc = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const r = <usize>(t * B + b);
    const gt = ptr(desc, L_GATES) + r * gb;
    const tcp = ptr(desc, L_TANHC) + r * hb;
    const cp = ptr(desc, L_CS) + r * hb; // c_{t-1}: CS row block t
    const dhp = ptr(desc, L_DHC) + <usize>b * hb;
    const dcp = ptr(desc, L_DCC) + <usize>b * hb;
    const dz = ptr(desc, L_DZ) + <usize>b * gb;
    for (let j = 0; j < H; j += 4) {
      const o = <usize>j << 2;
      const i = v128.load(gt + o);
      const f = v128.load(gt + hb + o);
      const og = v128.load(gt + 2 * hb + o);
      const g = v128.load(gt + 3 * hb + o);
      const tc = v128.load(tcp + o);
      const dh = v128.load(dhp + o);
      sh = madd(dh, dh, sh);
      // ∂L/∂c_t: carried from step t+1 plus through h_t = o ⊙ tanh(c_t).
      const dc = madd(f32x4.mul(dh, og), f32x4.sub(one, f32x4.mul(tc, tc)), v128.load(dcp + o));
      sc = madd(dc, dc, sc);
      const dzo = f32x4.mul(f32x4.mul(dh, tc), f32x4.mul(og, f32x4.sub(one, og)));
      const dzi = f32x4.mul(f32x4.mul(dc, g), f32x4.mul(i, f32x4.sub(one, i)));
      const dzf = f32x4.mul(f32x4.mul(dc, v128.load(cp + o)), f32x4.mul(f, f32x4.sub(one, f)));
      const dzg = f32x4.mul(f32x4.mul(dc, i), f32x4.sub(one, f32x4.mul(g, g)));
      v128.store(dcp + o, f32x4.mul(dc, f));
      v128.store(dz + o, dzi);
      v128.store(dz + hb + o, dzf);
      v128.store(dz + 2 * hb + o, dzo);
      v128.store(dz + 3 * hb + o, dzg);
    }
  }
  if (grads) addInputGrads(desc, t);
  return f32x4.replace_lane(f32x4.splat(hsum(sh)), 1, hsum(sc));
}

/**
 * db += Σ_b dz_t[b]; row id of W_x receives dz_t[b] for each b whose input was token id (the
 * gradient of the one-hot projection is a scatter-add). Runs right after the step's dz is
 * written, while it is still in cache; a separate pass over the window's dZ would reread 4 MB.
 */
function addInputGrads(desc: usize, t: i32): void {
  const B = field(desc, L_B);
  const G = 4 * field(desc, L_H);
  const gb = <usize>G << 2;
  const ids = ptr(desc, L_IDS) + (<usize>(t * B) << 2);
  const dwx = ptr(desc, L_DWX);
  const db = ptr(desc, L_DB);
  const dz0 = ptr(desc, L_DZ);
  for (let b = 0; b < B; b++) {
    const dz = dz0 + <usize>b * gb;
    const wrow = dwx + <usize>load<i32>(ids + (<usize>b << 2)) * gb;
    for (let n = 0; n < G; n += 4) {
      const o = <usize>n << 2;
      const d = v128.load(dz + o);
      v128.store(db + o, f32x4.add(v128.load(db + o), d));
      v128.store(wrow + o, f32x4.add(v128.load(wrow + o), d));
    }
  }
}
