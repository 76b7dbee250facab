/**
 * Each cell's elementwise work for one time step over B rows, forward and backward. The matrix
 * products around them (x·W_x, h·W_h, dz·W_hᵀ) are the layer's (layer.ts); the equations and
 * block orders are those of src/engine/cells/*.ts:
 *
 *   lstm      [i, f, o, g]  c = f⊙c' + i⊙g, h = o⊙tanh(c)
 *   peephole  [i, f, o, g]  i, f also see c' and o sees c through the diagonal weights p [3, H]
 *   noforget  [i, o, g]     c = c' + i⊙g
 *   cifg      [f, o, g]     i = 1 − f
 *   gru       [z, r, n]     n = tanh(x·W_xn + b_n + (r⊙h')·W_hn), h = h' + z⊙(n − h')
 *   rnn       [h]           h = tanh(z)
 *
 * (c', h' are the previous step's state.) Forward functions turn the pre-activations in z into
 * activations in place. Backward functions read ∂L/∂h_t from DHC and the carried ∂L/∂c_t from
 * DCC (replaced by ∂L/∂c_{t−1}), write the step's ∂L/∂z to DZ, and return (Σ dh², Σ dc², 0, 0).
 */
import {
  ptr, field, L_B, L_CS, L_DCC, L_DHC, L_DP, L_DRH, L_DZ, L_DZA, L_GATES, L_H, L_HS, L_P,
  L_TANHC, L_WHNTB,
} from './desc';
import { gemm, packA } from './gemm';
import { hsum, madd, sigmoid4, tanh4 } from './simd';

const ONE: v128 = f32x4.splat(1.0);

// @ts-ignore: decorator
@inline function dsig(s: v128): v128 {
  return f32x4.mul(s, f32x4.sub(ONE, s));
}

// @ts-ignore: decorator
@inline function dtanh(y: v128): v128 {
  return f32x4.sub(ONE, f32x4.mul(y, y));
}

// @ts-ignore: decorator
@inline function norms(sh: v128, sc: v128): v128 {
  return f32x4.replace_lane(f32x4.splat(hsum(sh)), 1, hsum(sc));
}

// ---------------------------------------------------------------------------------------------
// Forward. z0: the step's [B, K·H] pre-activations; cp0: c_{t−1} [B, H] (c_t follows it one
// state block later); h0: h_t [B, H]; tc0: tanh(c_t) [B, H].

export function lstmStep(z0: usize, cp0: usize, h0: usize, tc0: usize, B: i32, H: i32): void {
  const hb = <usize>H << 2;
  const stateBytes = <usize>(B * H) << 2;
  for (let b = 0; b < B; b++) {
    const z = z0 + <usize>b * (hb << 2);
    const cp = cp0 + <usize>b * hb;
    const cn = cp + stateBytes;
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

export function peepholeStep(z0: usize, cp0: usize, h0: usize, tc0: usize, p: usize, B: i32, H: i32): void {
  const hb = <usize>H << 2;
  const stateBytes = <usize>(B * H) << 2;
  for (let b = 0; b < B; b++) {
    const z = z0 + <usize>b * (hb << 2);
    const cp = cp0 + <usize>b * hb;
    const cn = cp + stateBytes;
    const h = h0 + <usize>b * hb;
    const tcp = tc0 + <usize>b * hb;
    for (let j = 0; j < H; j += 4) {
      const o = <usize>j << 2;
      const cPrev = v128.load(cp + o);
      const i = sigmoid4(madd(v128.load(p + o), cPrev, v128.load(z + o)));
      const f = sigmoid4(madd(v128.load(p + hb + o), cPrev, v128.load(z + hb + o)));
      const g = tanh4(v128.load(z + 3 * hb + o));
      const c = madd(f, cPrev, f32x4.mul(i, g));
      const og = sigmoid4(madd(v128.load(p + 2 * hb + o), c, v128.load(z + 2 * hb + o)));
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

/** noforget [i, o, g] (coupled = false) and cifg [f, o, g] with i = 1 − f (coupled = true). */
export function threeGateStep(z0: usize, cp0: usize, h0: usize, tc0: usize, B: i32, H: i32, coupled: bool): void {
  const hb = <usize>H << 2;
  const stateBytes = <usize>(B * H) << 2;
  for (let b = 0; b < B; b++) {
    const z = z0 + <usize>b * (hb * 3);
    const cp = cp0 + <usize>b * hb;
    const cn = cp + stateBytes;
    const h = h0 + <usize>b * hb;
    const tcp = tc0 + <usize>b * hb;
    for (let j = 0; j < H; j += 4) {
      const o = <usize>j << 2;
      const a = sigmoid4(v128.load(z + o)); // i (noforget) or f (cifg)
      const og = sigmoid4(v128.load(z + hb + o));
      const g = tanh4(v128.load(z + 2 * hb + o));
      const cPrev = v128.load(cp + o);
      const c = coupled ? madd(a, cPrev, f32x4.mul(f32x4.sub(ONE, a), g)) : madd(a, g, cPrev);
      const tc = tanh4(c);
      v128.store(z + o, a);
      v128.store(z + hb + o, og);
      v128.store(z + 2 * hb + o, g);
      v128.store(cn + o, c);
      v128.store(tcp + o, tc);
      v128.store(h + o, f32x4.mul(og, tc));
    }
  }
}

/** h = tanh(z), kept in z too (the backward pass reads it there). */
export function rnnStep(z0: usize, h0: usize, B: i32, H: i32): void {
  for (let k = 0; k < B * H; k += 4) {
    const o = <usize>k << 2;
    const h = tanh4(v128.load(z0 + o));
    v128.store(z0 + o, h);
    v128.store(h0 + o, h);
  }
}

/** GRU, first half: z and r in place, and rh = r ⊙ h_{t−1} for the candidate's product. */
export function gruGates(z0: usize, hp0: usize, rh0: usize, B: i32, H: i32): void {
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const z = z0 + <usize>b * (hb * 3);
    const hp = hp0 + <usize>b * hb;
    const rh = rh0 + <usize>b * hb;
    for (let j = 0; j < H; j += 4) {
      const o = <usize>j << 2;
      v128.store(z + o, sigmoid4(v128.load(z + o)));
      const r = sigmoid4(v128.load(z + hb + o));
      v128.store(z + hb + o, r);
      v128.store(rh + o, f32x4.mul(r, v128.load(hp + o)));
    }
  }
}

/** GRU, second half (after n's pre-activation received (r⊙h')·W_hn): n, then h_t. */
export function gruOut(z0: usize, hp0: usize, h0: usize, B: i32, H: i32): void {
  const hb = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const z = z0 + <usize>b * (hb * 3);
    const hp = hp0 + <usize>b * hb;
    const h = h0 + <usize>b * hb;
    for (let j = 0; j < H; j += 4) {
      const o = <usize>j << 2;
      const n = tanh4(v128.load(z + 2 * hb + o));
      v128.store(z + 2 * hb + o, n);
      const hPrev = v128.load(hp + o);
      v128.store(h + o, madd(v128.load(z + o), f32x4.sub(n, hPrev), hPrev));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Backward, step t. Row r = t·B + b of GATES/TANHC; c_{t−1} is CS row block t, c_t block t+1.

export function lstmBack(desc: usize, t: i32): v128 {
  const H = field(desc, L_H);
  const B = field(desc, L_B);
  const hb = <usize>H << 2;
  const gb = hb << 2;
  let sh = f32x4.splat(0);
  let sc = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const r = <usize>(t * B + b);
    const gt = ptr(desc, L_GATES) + r * gb;
    const tcp = ptr(desc, L_TANHC) + r * hb;
    const cp = ptr(desc, L_CS) + r * hb;
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
      const dc = madd(f32x4.mul(dh, og), dtanh(tc), v128.load(dcp + o));
      sc = madd(dc, dc, sc);
      v128.store(dcp + o, f32x4.mul(dc, f));
      v128.store(dz + o, f32x4.mul(f32x4.mul(dc, g), dsig(i)));
      v128.store(dz + hb + o, f32x4.mul(f32x4.mul(dc, v128.load(cp + o)), dsig(f)));
      v128.store(dz + 2 * hb + o, f32x4.mul(f32x4.mul(dh, tc), dsig(og)));
      v128.store(dz + 3 * hb + o, f32x4.mul(f32x4.mul(dc, i), dtanh(g)));
    }
  }
  return norms(sh, sc);
}

/** As lstmBack, plus the peepholes' paths into c and their gradient (added to DP when `grads`). */
export function peepholeBack(desc: usize, t: i32, grads: bool): v128 {
  const H = field(desc, L_H);
  const B = field(desc, L_B);
  const hb = <usize>H << 2;
  const gb = hb << 2;
  const stateBytes = <usize>(B * H) << 2;
  const p = ptr(desc, L_P);
  const dp = ptr(desc, L_DP);
  let sh = f32x4.splat(0);
  let sc = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const r = <usize>(t * B + b);
    const gt = ptr(desc, L_GATES) + r * gb;
    const tcp = ptr(desc, L_TANHC) + r * hb;
    const cp = ptr(desc, L_CS) + r * hb;
    const cn = cp + stateBytes;
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
      const cPrev = v128.load(cp + o);
      const dh = v128.load(dhp + o);
      sh = madd(dh, dh, sh);
      const dzo = f32x4.mul(f32x4.mul(dh, tc), dsig(og));
      // ∂L/∂c_t also flows through the output gate's peephole.
      const dc = madd(dzo, v128.load(p + 2 * hb + o), madd(f32x4.mul(dh, og), dtanh(tc), v128.load(dcp + o)));
      sc = madd(dc, dc, sc);
      const dzi = f32x4.mul(f32x4.mul(dc, g), dsig(i));
      const dzf = f32x4.mul(f32x4.mul(dc, cPrev), dsig(f));
      // c_{t−1} reaches c_t directly and through the input and forget gates' peepholes.
      const dcPrev = madd(dzf, v128.load(p + hb + o), madd(dzi, v128.load(p + o), f32x4.mul(dc, f)));
      v128.store(dcp + o, dcPrev);
      v128.store(dz + o, dzi);
      v128.store(dz + hb + o, dzf);
      v128.store(dz + 2 * hb + o, dzo);
      v128.store(dz + 3 * hb + o, f32x4.mul(f32x4.mul(dc, i), dtanh(g)));
      if (grads) {
        v128.store(dp + o, madd(dzi, cPrev, v128.load(dp + o)));
        v128.store(dp + hb + o, madd(dzf, cPrev, v128.load(dp + hb + o)));
        v128.store(dp + 2 * hb + o, madd(dzo, v128.load(cn + o), v128.load(dp + 2 * hb + o)));
      }
    }
  }
  return norms(sh, sc);
}

/** noforget [i, o, g] and cifg [f, o, g] (coupled). */
export function threeGateBack(desc: usize, t: i32, coupled: bool): v128 {
  const H = field(desc, L_H);
  const B = field(desc, L_B);
  const hb = <usize>H << 2;
  const gb = hb * 3;
  let sh = f32x4.splat(0);
  let sc = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const r = <usize>(t * B + b);
    const gt = ptr(desc, L_GATES) + r * gb;
    const tcp = ptr(desc, L_TANHC) + r * hb;
    const cp = ptr(desc, L_CS) + r * hb;
    const dhp = ptr(desc, L_DHC) + <usize>b * hb;
    const dcp = ptr(desc, L_DCC) + <usize>b * hb;
    const dz = ptr(desc, L_DZ) + <usize>b * gb;
    for (let j = 0; j < H; j += 4) {
      const o = <usize>j << 2;
      const a = v128.load(gt + o);
      const og = v128.load(gt + hb + o);
      const g = v128.load(gt + 2 * hb + o);
      const tc = v128.load(tcp + o);
      const dh = v128.load(dhp + o);
      sh = madd(dh, dh, sh);
      const dc = madd(f32x4.mul(dh, og), dtanh(tc), v128.load(dcp + o));
      sc = madd(dc, dc, sc);
      const di = f32x4.mul(dc, g);
      v128.store(dz + hb + o, f32x4.mul(f32x4.mul(dh, tc), dsig(og)));
      if (coupled) {
        // i = 1 − f: the forget gate receives its own gradient minus the input gate's.
        const i = f32x4.sub(ONE, a);
        v128.store(dz + o, f32x4.mul(f32x4.sub(f32x4.mul(dc, v128.load(cp + o)), di), dsig(a)));
        v128.store(dz + 2 * hb + o, f32x4.mul(f32x4.mul(dc, i), dtanh(g)));
        v128.store(dcp + o, f32x4.mul(dc, a));
      } else {
        v128.store(dz + o, f32x4.mul(di, dsig(a)));
        v128.store(dz + 2 * hb + o, f32x4.mul(f32x4.mul(dc, a), dtanh(g)));
        v128.store(dcp + o, dc);
      }
    }
  }
  return norms(sh, sc);
}

export function rnnBack(desc: usize, t: i32): v128 {
  const n = field(desc, L_B) * field(desc, L_H);
  const h0 = ptr(desc, L_GATES) + (<usize>(t * n) << 2);
  const dh0 = ptr(desc, L_DHC);
  const dz0 = ptr(desc, L_DZ);
  let sh = f32x4.splat(0);
  for (let k = 0; k < n; k += 4) {
    const o = <usize>k << 2;
    const dh = v128.load(dh0 + o);
    sh = madd(dh, dh, sh);
    v128.store(dz0 + o, f32x4.mul(dh, dtanh(v128.load(h0 + o))));
  }
  return norms(sh, f32x4.splat(0));
}

/**
 * GRU [z, r, n]. Besides dz, leaves in DCC the part of ∂L/∂h_{t−1} that does not pass through
 * W_h(z,r): dh ⊙ (1 − z) + ∂L/∂(r⊙h') ⊙ r.
 */
export function gruBack(desc: usize, t: i32): v128 {
  const H = field(desc, L_H);
  const B = field(desc, L_B);
  const hb = <usize>H << 2;
  const gb = hb * 3;
  const dzAll = ptr(desc, L_DZ);
  const direct = ptr(desc, L_DCC);
  let sh = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const r = <usize>(t * B + b);
    const gt = ptr(desc, L_GATES) + r * gb;
    const hp = ptr(desc, L_HS) + r * hb;
    const dhp = ptr(desc, L_DHC) + <usize>b * hb;
    const dz = dzAll + <usize>b * gb;
    const dd = direct + <usize>b * hb;
    for (let j = 0; j < H; j += 4) {
      const o = <usize>j << 2;
      const zg = v128.load(gt + o);
      const n = v128.load(gt + 2 * hb + o);
      const dh = v128.load(dhp + o);
      sh = madd(dh, dh, sh);
      v128.store(dz + o, f32x4.mul(f32x4.mul(dh, f32x4.sub(n, v128.load(hp + o))), dsig(zg)));
      v128.store(dz + 2 * hb + o, f32x4.mul(f32x4.mul(dh, zg), dtanh(n)));
      v128.store(dd + o, f32x4.mul(dh, f32x4.sub(ONE, zg)));
    }
  }
  // ∂L/∂(r⊙h') = dz_n · W_hnᵀ
  const dza = ptr(desc, L_DZA);
  const drh = ptr(desc, L_DRH);
  packA(dzAll + (<usize>(2 * H) << 2), 3 * H, B, H, dza);
  gemm(B, H, H, dza, <usize>H << 4, 16, ptr(desc, L_WHNTB), drh, H, false);
  for (let b = 0; b < B; b++) {
    const r = <usize>(t * B + b);
    const gt = ptr(desc, L_GATES) + r * gb;
    const hp = ptr(desc, L_HS) + r * hb;
    const dz = dzAll + <usize>b * gb;
    const dd = direct + <usize>b * hb;
    const dr = drh + <usize>b * hb;
    for (let j = 0; j < H; j += 4) {
      const o = <usize>j << 2;
      const rg = v128.load(gt + hb + o);
      const d = v128.load(dr + o);
      v128.store(dz + hb + o, f32x4.mul(f32x4.mul(d, v128.load(hp + o)), dsig(rg)));
      v128.store(dd + o, madd(d, rg, v128.load(dd + o)));
    }
  }
  return norms(sh, f32x4.splat(0));
}
