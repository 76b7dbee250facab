/**
 * Every cell's hand-written backward pass, in one and two layers, against tfjs autodiff through
 * the same forward ops and against directional central differences of the loss; the per-step
 * gradient norms against zero "probe" tensors added to each h_t and (LSTM family) each c_t.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { type CellState } from '../../src/engine/cells/cell';
import { cellOf } from '../../src/engine/cells/registry';
import { CELL_TRACE_NAMES, CELL_TYPES, type CellName } from '../../src/protocol/runConfig';
import type { LayerAux } from '../../src/engine/layer';
import { crossEntropy, disposeStates, SequenceModel } from '../../src/engine/model';
import { maxAbs, maxAbsDiff, randomArray, useWasm } from './helpers/backend';

const V = 6, H = 5, B = 3, T = 6;
const ids = Int32Array.from({ length: T * B }, (_, k) => (k * 7 + 3) % V);
const targets = Int32Array.from({ length: T * B }, (_, k) => (k * 5 + 1) % V);

function model(cell: CellName, layers: number, seed: number): SequenceModel {
  const m = SequenceModel.create({ cell, layers, hiddenSize: H, vocabSize: V, dropout: 0 }, seed);
  // Random biases and peepholes too, so that no gradient is trivially zero.
  for (const { variable } of m.named) variable.assign(tf.add(variable, tf.tensor(randomArray(variable.size, seed + variable.size, 0.3), variable.shape)));
  return m;
}

function startState(m: SequenceModel): CellState[] {
  return m.layers.map((_, l) => ({
    h: tf.tensor2d(randomArray(B * H, 11 + l, 0.3), [B, H]),
    c: m.cell.hasCellState ? tf.tensor2d(randomArray(B * H, 21 + l, 0.3), [B, H]) : null,
  }));
}

/** The loss through the hand-written backward pass. */
function customLoss(m: SequenceModel, aux: LayerAux[] = []): tf.Scalar {
  const s = startState(m);
  const loss = m.windowLoss(ids, targets, B, s, aux, 1);
  disposeStates(aux.map((a) => a.final!).filter(Boolean));
  return loss;
}

/** Blocks of the LSTM-family cells' pre-activations, as src/engine/cells/lstmFamily.ts lays them out. */
const LSTM_BLOCKS: Partial<Record<CellName, string[]>> = {
  lstm: ['i', 'f', 'o', 'g'],
  noforget: ['i', 'o', 'g'],
  peephole: ['i', 'f', 'o', 'g'],
  cifg: ['f', 'o', 'g'],
};

/**
 * One LSTM-family step for autodiff, written out here instead of taken from the cell, with a probe
 * added to c_t before o_t (through the output peephole) and h_t = o_t ⊙ tanh(c_t) read it. The
 * gradient with respect to the probe is then the total ∂L/∂c_t that the layer reports: from
 * c_{t+1} (and the input and forget peepholes at t+1), from h_t, and through o_t. A probe added
 * to the state after `cell.step` would reach only c_{t+1} and miss the other two.
 */
function lstmStepWithCellProbe(cell: CellName, zx: tf.Tensor2D, prev: CellState, Wh: tf.Tensor2D, p: tf.Tensor2D | null, probe: tf.Tensor2D): CellState {
  const names = LSTM_BLOCKS[cell]!;
  const parts = tf.split(tf.add(zx, tf.matMul(prev.h, Wh)), names.length, 1);
  const a = (n: string) => parts[names.indexOf(n)];
  // i, f see c_{t-1} and o sees c_t through the rows of p [3, H] (peephole cell only).
  const peep = (pre: tf.Tensor, row: number, c: tf.Tensor) => (p ? tf.add(pre, tf.mul(tf.slice(p, [row, 0], [1, -1]), c)) : pre);
  const cPrev = prev.c!;
  const f = cell === 'noforget' ? null : tf.sigmoid(peep(a('f'), 1, cPrev));
  const i = cell === 'cifg' ? tf.sub(1, f!) : tf.sigmoid(peep(a('i'), 0, cPrev));
  const g = tf.tanh(a('g'));
  const c = tf.add(tf.add(f ? tf.mul(f, cPrev) : cPrev, tf.mul(i, g)), probe) as tf.Tensor2D;
  const o = tf.sigmoid(peep(a('o'), 2, c));
  return { h: tf.mul(o, tf.tanh(c)) as tf.Tensor2D, c };
}

/**
 * The same model's loss by autodiff: the cells' forward steps run directly, with optional zero
 * probes added to the top layer's h_t (dL/dprobe_t = ∂L/∂h_t) or to its c_t (the LSTM family, by
 * `lstmStepWithCellProbe`: dL/dprobe_t = ∂L/∂c_t), and the loss optionally taken at the last time
 * step only.
 */
function autodiffLoss(m: SequenceModel, probes: { h?: tf.Tensor2D[]; c?: tf.Tensor2D[] } = {}, lastStepOnly = false): tf.Scalar {
  const states = startState(m);
  let below: tf.Tensor2D | null = null;
  let hs: tf.Tensor2D[] = [];
  m.layers.forEach((p, l) => {
    const xw = tf.add(below ? tf.matMul(below, p.Wx) : tf.gather(p.Wx, tf.tensor1d(ids, 'int32')), p.b) as tf.Tensor2D;
    const rows = tf.split(xw, T, 0) as tf.Tensor2D[];
    const w = { Wh: p.Wh as tf.Tensor2D, p: p.p as tf.Tensor2D | null, extra: m.cell.prepare(p.Wh, H) };
    const top = l === m.layers.length - 1;
    let prev = states[l];
    hs = [];
    for (let t = 0; t < T; t++) {
      const s = top && probes.c ? lstmStepWithCellProbe(m.cell.type, rows[t], prev, w.Wh, w.p, probes.c[t]) : m.cell.step(rows[t], prev, w);
      const h = top && probes.h ? tf.add(s.h, probes.h[t]) as tf.Tensor2D : s.h;
      hs.push(h);
      prev = { h, c: s.c };
    }
    below = tf.concat(hs, 0) as tf.Tensor2D;
  });
  const logits = tf.add(tf.matMul(below!, m.Wy), m.by) as tf.Tensor2D;
  if (!lastStepOnly) return crossEntropy(logits, targets, V);
  // The last step's share of the window's mean loss, as the layer's last-step recursion sees it.
  const last = tf.slice(logits, [(T - 1) * B, 0], [B, V]) as tf.Tensor2D;
  return tf.div(crossEntropy(last, targets.subarray((T - 1) * B), V), T) as tf.Scalar;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return maxAbsDiff(a, b) / Math.max(maxAbs(b), 1e-8);
}

for (const backend of ['cpu', 'wasm'] as const) {
  for (const cell of CELL_TYPES) {
    for (const layers of [1, 2]) {
      test(`[${backend}] ${cell} × ${layers}: hand-written BPTT equals autodiff`, async () => {
        if (backend === 'wasm') await useWasm(); else await tf.setBackend('cpu');
        const m = model(cell, layers, 3);
        const vars = m.variables;
        const aux: LayerAux[] = [];
        const mine = tf.variableGrads(() => customLoss(m, aux), vars);
        const ref = tf.variableGrads(() => autodiffLoss(m), vars);
        assert.ok(Math.abs(mine.value.dataSync()[0] - ref.value.dataSync()[0]) < 1e-5, 'same loss');
        for (const { key, variable } of m.named) {
          const err = relErr(mine.grads[variable.name].dataSync(), ref.grads[variable.name].dataSync());
          assert.ok(err < 2e-4, `${key}: relative error ${err}`);
          assert.ok(maxAbs(ref.grads[variable.name].dataSync()) > 0, `${key} gets a gradient`);
        }
        tf.dispose([mine.value, ref.value, ...Object.values(mine.grads), ...Object.values(ref.grads), ...aux.flatMap((a) => [a.dhNorm, a.dcNorm])]);
        m.dispose();
      });
    }

    test(`[${backend}] ${cell}: per-step ‖∂L/∂h_t‖, ‖∂L/∂c_t‖ and their last-step versions equal probe gradients`, async () => {
      if (backend === 'wasm') await useWasm(); else await tf.setBackend('cpu');
      const m = model(cell, 1, 4);
      const hasC = m.cell.hasCellState;
      assert.equal(hasC, LSTM_BLOCKS[cell] !== undefined, 'the LSTM family are the cells with a cell state');
      const aux: LayerAux[] = [{ wantLastStep: true }];
      const mine = tf.variableGrads(() => customLoss(m, aux), m.variables);
      const compare = (what: string, got: tf.Tensor1D, d: tf.Tensor[]) => {
        const expected = d.map((g) => Math.sqrt(tf.sum(tf.square(g)).dataSync()[0]));
        const norms = got.dataSync();
        assert.equal(norms.length, T, `${what}: one norm per step`);
        for (let t = 0; t < T; t++) {
          assert.ok(Math.abs(norms[t] - expected[t]) <= 1e-6 + 2e-4 * expected[t], `${what} t=${t}: ${norms[t]} vs ${expected[t]}`);
        }
        const sum = expected.reduce((a, b) => a + b, 0);
        assert.ok(sum > 1e-3, `${what}: the probes see a gradient`);
        assert.ok(Math.abs(Array.from(norms).reduce((a, b) => a + b, 0) - sum) <= 2e-4 * sum, `${what}: sums over the window agree`);
      };
      const zeros = () => Array.from({ length: T }, () => tf.zeros([B, H]) as tf.Tensor2D);
      const cases = [
        [false, aux[0].dhNorm!, aux[0].dcNorm] as const,
        [true, aux[0].dhLast!, aux[0].dcLast] as const,
      ];
      for (const [lastOnly, gotH, gotC] of cases) {
        const scope = lastOnly ? 'last-step' : 'window';
        const hProbes = zeros();
        const dh = tf.grads((...ps: tf.Tensor[]) => autodiffLoss(m, { h: ps as tf.Tensor2D[] }, lastOnly))(hProbes);
        compare(`${scope} ‖∂L/∂h_t‖`, gotH, dh);
        tf.dispose([...hProbes, ...dh]);
        if (!hasC) {
          assert.equal(gotC, undefined, `${scope}: no ‖∂L/∂c_t‖ without a cell state`);
          continue;
        }
        const cProbes = zeros();
        const { value, grads: dc } = tf.valueAndGrads((...ps: tf.Tensor[]) => autodiffLoss(m, { c: ps as tf.Tensor2D[] }, lastOnly))(cProbes);
        if (!lastOnly) assert.ok(Math.abs(value.dataSync()[0] - mine.value.dataSync()[0]) < 1e-5, 'the written-out LSTM step computes the same loss');
        compare(`${scope} ‖∂L/∂c_t‖`, gotC!, dc);
        tf.dispose([...cProbes, value, ...dc]);
      }
      tf.dispose([mine.value, ...Object.values(mine.grads), ...aux.flatMap((a) => [a.dhNorm, a.dcNorm, a.dhLast, a.dcLast])]);
      m.dispose();
    });
  }
}

/**
 * Directional derivatives against central differences of the loss, along one seeded random
 * direction u over every parameter at once and along u restricted to each parameter tensor (so
 * that an error in a small tensor such as the peepholes or a bias is not drowned by the large
 * ones). For a direction u (entries uniform in [−1, 1]) the analytic value is D = Σ ⟨∇L, u⟩ and
 * the numeric one comes from N(h) = (L(θ + h·u) − L(θ − h·u)) / 2h.
 *
 * Step and tolerance. Both sides are float32; the hand-written gradient agrees with a float64
 * reference to ~1e-7 of its scale, so the error budget is the finite difference's:
 *  - truncation: N(h) = D + (h²/6)·∂³L/∂u³ + O(h⁴). Richardson extrapolation from two steps,
 *    R = (4·N(ε/2) − N(ε)) / 3, cancels the h² term and leaves O(ε⁴). With ε = 0.05 the measured
 *    truncation stays below 1e-5 of the scale S = Σ |∂L/∂θ_k · u_k| for every cell and direction
 *    (at ε = 0.1 it reaches 8e-5; a single difference is off by 1e-4 at ε = 0.01, and at
 *    ε = 1e-3 rounding already costs more than that);
 *  - rounding: each float32 loss is off by about one ulp(L), which R amplifies to ≈ 2·ulp(L)/ε
 *    (the worst measured is 2.6·ulp(L)/ε), independently of S.
 * Hence tol = 1e-4·S + 10·ulp(L)/ε (≈ 1e-4·S + 2.4e-5 here); the worst |R − D| over all cells and
 * directions is 0.3 of it. S rather than |D| is the scale because D can cancel to near zero along
 * a random direction. For the smallest tensors (p: S ≈ 5e-3) the rounding term dominates, at
 * about 0.5 % of S; the peephole bugs this was checked against (a dropped term in ∂L/∂c_t or
 * ∂L/∂c_{t-1}, the output peephole's gradient taken against c_{t-1}) each miss by 8–80 times the
 * tolerance along their most sensitive direction.
 */
const FD_EPS = 0.05;

for (const cell of CELL_TYPES) {
  test(`[cpu] ${cell} × 2: directional derivatives match central differences, along all parameters and along each tensor`, async () => {
    await tf.setBackend('cpu');
    const m = model(cell, 2, 5);
    const { value, grads } = tf.variableGrads(() => customLoss(m), m.variables);
    const L0 = value.dataSync()[0];
    const base = m.named.map(({ variable }) => variable.dataSync().slice());
    const grad = m.named.map(({ variable }) => grads[variable.name].dataSync());
    const u = m.named.map(({ variable }, j) => randomArray(variable.size, 1000 + 17 * j));
    const setParams = (tensors: number[], h: number) => {
      for (const j of tensors) {
        const v = m.named[j].variable;
        tf.tidy(() => v.assign(tf.tensor(base[j].map((x, k) => x + h * u[j][k]), v.shape)));
      }
    };
    const lossAt = (tensors: number[], h: number) => {
      setParams(tensors, h);
      const L = tf.tidy(() => customLoss(m).dataSync()[0]);
      setParams(tensors, 0);
      return L;
    };
    const ulp = 2 ** (Math.floor(Math.log2(L0)) - 23);
    const noise = 10 * ulp / FD_EPS;
    const failures: string[] = [];
    const directions: [string, number[]][] = [['all parameters', m.named.map((_, j) => j)], ...m.named.map(({ key }, j): [string, number[]] => [key, [j]])];
    for (const [name, tensors] of directions) {
      let D = 0, S = 0;
      for (const j of tensors) for (let k = 0; k < u[j].length; k++) { D += grad[j][k] * u[j][k]; S += Math.abs(grad[j][k] * u[j][k]); }
      // The check has power only if the rounding floor is small next to the directional scale.
      assert.ok(S > 40 * noise, `${name}: directional scale ${S} too small to check`);
      const N = (h: number) => (lossAt(tensors, h) - lossAt(tensors, -h)) / (2 * h);
      const N1 = N(FD_EPS), N2 = N(FD_EPS / 2);
      const R = (4 * N2 - N1) / 3;
      const tol = 1e-4 * S + noise;
      if (!(Math.abs(R - D) <= tol)) {
        failures.push(`${name}: differences ${R.toPrecision(6)} (ε: ${N1.toPrecision(6)}, ε/2: ${N2.toPrecision(6)}), gradient ⟨∇L, u⟩ ${D.toPrecision(6)}: off by ${(Math.abs(R - D) / S).toExponential(1)} of the scale ${S.toExponential(2)}, tolerance ${(tol / S).toExponential(1)}`);
      }
    }
    assert.deepEqual(failures, [], `directional derivatives disagree:\n${failures.join('\n')}`);
    tf.dispose([value, ...Object.values(grads)]);
    m.dispose();
  });
}

// The unit picker offers the names in CELL_TRACE_NAMES; the engine traces the cells' own names.
test('the unit picker offers exactly the states and gates each cell traces', () => {
  for (const type of CELL_TYPES) {
    const cell = cellOf(type);
    assert.deepEqual(CELL_TRACE_NAMES[type].gates, cell.gateNames, `${type}: gates`);
    assert.deepEqual(CELL_TRACE_NAMES[type].states, cell.hasCellState ? ['c', 'h'] : ['h'], `${type}: states`);
  }
});
