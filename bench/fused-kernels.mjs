// Measurements of the fused wasm-SIMD LSTM kernels (wasm/lstm, src/engine/fused).
//
//   npm run build                                   # compiles wasm/build/lstm-{simd,relaxed}.wasm
//   node bench/fused-kernels.mjs [check] [kernel] [train] [--seconds N] [--corpus FILE] [--reference reference_torch.py]
//
// check   accuracy of exp/sigmoid/tanh, GEMMs against a float64 product, and the fused layer
//         against the engine's tfjs layer (src/engine/layer.ts, lstm cell, cpu backend)
// kernel  ms per window forward + backward by phase, GFLOP/s per GEMM shape, plain vs relaxed SIMD
// train   a full training step (fused LSTM → output layer → Adam) in chars/s
// The TypeScript sources are bundled with the project's esbuild into .scratch/fused-kernels/.
import { setFlagsFromString } from 'node:v8';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tfjsModules } from '../scripts/tfjsModules.mjs';

setFlagsFromString('--experimental-wasm-relaxed-simd');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { values: opt, positionals } = parseArgs({ allowPositionals: true, options: { seconds: { type: 'string' }, corpus: { type: 'string' }, reference: { type: 'string' }, json: { type: 'boolean' } } });
const parts = positionals.length ? positionals : ['check', 'kernel'];
const wasmDir = join(root, 'wasm', 'build');

async function bundle() {
  const esbuild = require(join(root, 'node_modules', 'esbuild'));
  const outdir = join(root, '.scratch', 'fused-kernels');
  mkdirSync(outdir, { recursive: true });
  const contents = `
    export * as tf from '@tensorflow/tfjs-core';
    export { initBackend } from './src/engine/backend';
    export { FusedModule } from './src/engine/fused/module';
    export { FusedLayer, PROFILE_PHASES } from './src/engine/fused/layer';
    export { recurrentLayer } from './src/engine/layer';
    export { lstm } from './src/engine/cells/lstmFamily';
    export { FusedModel } from './src/engine/fused/fusedModel';
    export { SequenceModel } from './src/engine/model';
    export { Trainer } from './src/engine/trainer';
    export { StreamBatcher } from './src/engine/data';
  `;
  await esbuild.build({
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: 'fused-kernels-entry.ts' },
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: join(outdir, 'bundle.cjs'), logLevel: 'warning',
    plugins: [tfjsModules],
  });
  return require(join(outdir, 'bundle.cjs'));
}

// Small seeded generator so runs are repeatable.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const fill = (a, r, scale = 1) => { for (let i = 0; i < a.length; i++) a[i] = (r() * 2 - 1) * scale; return a; };

/** max |a − b| and max |a − b| / (|b| + floor), the floor keeping near-zero entries from dominating. */
function errors(a, b, floor) {
  let abs = 0, rel = 0, ref = 0;
  for (let i = 0; i < b.length; i++) ref = Math.max(ref, Math.abs(b[i]));
  const f = floor ?? 1e-3 * ref;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    abs = Math.max(abs, d);
    rel = Math.max(rel, d / (Math.abs(b[i]) + f));
  }
  return { maxAbs: +abs.toExponential(2), maxRel: +rel.toExponential(2), maxRef: +ref.toExponential(2) };
}

// ---------------------------------------------------------------------------------------------
// check

function checkApprox(mod) {
  const n = 1 << 20;
  const src = mod.alloc(n * 4), dst = mod.alloc(n * 4);
  const x = mod.f32(src, n);
  const lo = -40, hi = 40;
  for (let i = 0; i < n; i++) x[i] = Math.fround(lo + ((hi - lo) * i) / (n - 1));
  const out = {};
  const fns = { exp: Math.exp, sigmoid: (v) => 1 / (1 + Math.exp(-v)), tanh: Math.tanh };
  Object.keys(fns).forEach((name, kind) => {
    mod.exports.mapArray(kind, src, dst, n);
    const y = mod.f32(dst, n);
    const xs = mod.f32(src, n);
    let abs = 0, rel = 0;
    for (let i = 0; i < n; i++) {
      const ref = fns[name](xs[i]);
      const d = Math.abs(y[i] - ref);
      abs = Math.max(abs, d);
      if (name === 'exp' ? Math.abs(xs[i]) <= 87 : Math.abs(ref) > 1e-2) rel = Math.max(rel, d / Math.abs(ref));
    }
    out[name] = { range: [lo, hi], maxAbs: name === 'exp' ? undefined : +abs.toExponential(2), maxRel: +rel.toExponential(2) };
  });
  return out;
}

function checkGemm(mod, M, N, K, transA) {
  const r = rng(M * 7 + N * 13 + K);
  const a = mod.alloc(M * K * 4), b = mod.alloc(K * N * 4), c = mod.alloc(M * N * 4);
  const sa = mod.alloc(M * K * 4), sb = mod.alloc(K * N * 4);
  const A = fill(mod.f32(a, M * K), r), B = fill(mod.f32(b, K * N), r);
  if (transA) mod.exports.matmulTransA(M, N, K, a, b, c, sb); else mod.exports.matmul(M, N, K, a, b, c, sa, sb);
  const C = mod.f32(c, M * N);
  const ref = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) {
    const av = transA ? A[k * M + i] : A[i * K + k];
    for (let j = 0; j < N; j++) ref[i * N + j] += av * B[k * N + j];
  }
  return errors(C, ref, Math.sqrt(K) * 0.1);
}

/** The engine's tfjs layer on the cpu backend: H, final state, gradients and norms. */
async function referenceLayer(lib, w, ids, dHv, shape) {
  const { tf, recurrentLayer, lstm } = lib;
  await tf.setBackend('cpu');
  const { vocab: V, hidden: H, batch: B } = shape;
  return tf.tidy(() => {
    const Wx = tf.tensor2d(w.Wx, [V, 4 * H]), Wh = tf.tensor2d(w.Wh, [H, 4 * H]), b = tf.tensor1d(w.b);
    const state = { h: tf.tensor2d(w.h0, [B, H]), c: tf.tensor2d(w.c0, [B, H]) };
    const dH = tf.tensor2d(dHv, [ids.length, H]);
    const aux = { wantLastStep: true };
    let out;
    const f = (wx, wh, bb) => {
      out = tf.keep(recurrentLayer(lstm, { Wx: wx, Wh: wh, b: bb, p: null }, { ids }, B, state, aux));
      return tf.sum(tf.mul(out, dH)); // ∂/∂H of this loss is dH
    };
    const g = tf.grads(f)([Wx, Wh, b]);
    return {
      H: out.dataSync(), hT: aux.final.h.dataSync(), cT: aux.final.c.dataSync(),
      dWx: g[0].dataSync(), dWh: g[1].dataSync(), db: g[2].dataSync(),
      dhNorm: aux.dhNorm.dataSync(), dcNorm: aux.dcNorm.dataSync(), dhLast: aux.dhLast.dataSync(), dcLast: aux.dcLast.dataSync(),
    };
  });
}

async function checkLayer(lib, mod, shape, seed) {
  const { vocab: V, hidden: H, batch: B, steps: T } = shape;
  const r = rng(seed);
  const scale = 1 / Math.sqrt(V + H);
  const w = {
    Wx: fill(new Float32Array(V * 4 * H), r, 2 * scale), Wh: fill(new Float32Array(H * 4 * H), r, 2 * scale),
    b: fill(new Float32Array(4 * H), r, 0.5), h0: fill(new Float32Array(B * H), r, 0.5), c0: fill(new Float32Array(B * H), r, 1),
  };
  const ids = Int32Array.from({ length: T * B }, () => Math.floor(r() * V));
  const dH = fill(new Float32Array(T * B * H), r, 0.01);
  const ref = await referenceLayer(lib, w, ids, dH, shape);
  const layer = lib.FusedLayer.create(mod, { cell: 'lstm', input: shape.vocab, ...shape });
  layer.Wx.set(w.Wx); layer.Wh.set(w.Wh); layer.b.set(w.b); layer.h0.set(w.h0); layer.c0.set(w.c0); layer.ids.set(ids);
  layer.forward(T);
  layer.dH.set(dH);
  layer.backward(T);
  layer.lastStepNorms(T);
  const got = {
    H: layer.output(T), hT: layer.hT(T), cT: layer.cT(T), dWx: layer.dWx, dWh: layer.dWh, db: layer.db,
    dhNorm: layer.dhNorm(T), dcNorm: layer.dcNorm(T), dhLast: layer.dhLast(T), dcLast: layer.dcLast(T),
  };
  const out = {};
  for (const k of Object.keys(ref)) out[k] = errors(got[k], ref[k]);
  return out;
}

async function check(lib) {
  const result = {};
  for (const variant of ['simd', 'relaxed']) {
    const mod = await lib.FusedModule.load(wasmDir, variant);
    const r = { approx: checkApprox(mod), gemm: {} };
    for (const [M, N, K, t] of [[32, 512, 128, false], [32, 128, 512, false], [128, 512, 2048, true], [12, 24, 300, true]]) {
      r.gemm[`${M}x${K}x${N}${t ? ' (Aᵀ)' : ''}`] = checkGemm(mod, M, N, K, t);
    }
    r.layerSmall = await checkLayer(lib, mod, { vocab: 11, hidden: 16, batch: 4, steps: 5 }, 1);
    r.layerReference = await checkLayer(lib, mod, { vocab: 65, hidden: 128, batch: 32, steps: 64 }, 2);
    result[variant] = r;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// kernel timing

/** Best per-call time over rounds of ≥ 20 ms for `minMs` (the least disturbed by other load). */
function timeIt(fn, minMs = 400) {
  fn();
  let best = Infinity;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    let n = 0;
    const r0 = performance.now();
    do { fn(); n++; } while (performance.now() - r0 < 20);
    best = Math.min(best, (performance.now() - r0) / n);
  }
  return best;
}

function gemmRate(mod, M, N, K, transA) {
  const a = mod.alloc(M * K * 4), b = mod.alloc(K * N * 4), c = mod.alloc(M * N * 4), sa = mod.alloc(M * K * 4), sb = mod.alloc(K * N * 4);
  const r = rng(3);
  fill(mod.f32(a, M * K), r); fill(mod.f32(b, K * N), r);
  mod.exports.packB(b, N, K, N, sb, K, 0);
  mod.exports.packA(a, K, M, K, sa);
  // The product alone on operands packed beforehand, as the layer runs it.
  const ms = transA
    ? timeIt(() => mod.exports.gemm(M, N, K, a, 16, M * 4, sb, c, N, 0))
    : timeIt(() => mod.exports.gemm(M, N, K, sa, K * 16, 16, sb, c, N, 0));
  return { ms: +ms.toFixed(4), gflops: +((2 * M * N * K) / ms / 1e6).toFixed(1) };
}

async function kernel(lib) {
  const shape = { vocab: 65, hidden: 128, batch: 32, steps: 64 };
  const result = {};
  for (const variant of ['simd', 'relaxed']) {
    const mod = await lib.FusedModule.load(wasmDir, variant);
    const gemms = {
      'fwd step 32x128x512': gemmRate(mod, 32, 512, 128, false),
      'bwd step 32x512x128': gemmRate(mod, 32, 128, 512, false),
      'dWh 128x2048x512 (Aᵀ)': gemmRate(mod, 128, 512, 2048, true),
    };
    const layer = lib.FusedLayer.create(mod, { cell: 'lstm', input: shape.vocab, ...shape });
    const r = rng(5);
    fill(layer.Wx, r, 0.1); fill(layer.Wh, r, 0.1); fill(layer.b, r, 0.1);
    layer.ids.set(Int32Array.from({ length: 64 * 32 }, () => Math.floor(r() * 65)));
    fill(layer.dH, r, 0.01);
    const run = () => { layer.forward(); layer.backward(); };
    // Other processes share the two cores: take the best of many short rounds, and the median.
    const rounds = [];
    for (let i = 0; i < 25; i++) {
      mod.exports.setProfiling(1);
      const t0 = performance.now();
      for (let k = 0; k < 3; k++) run();
      const total = (performance.now() - t0) / 3;
      rounds.push({ total, phases: lib.PROFILE_PHASES.map((_, p) => mod.exports.profileMs(p) / 3) });
    }
    mod.exports.setProfiling(0);
    rounds.sort((x, y) => x.total - y.total);
    const bestRound = rounds[0];
    const total = bestRound.total;
    const median = rounds[rounds.length >> 1].total;
    const phases = {};
    lib.PROFILE_PHASES.forEach((p, i) => { phases[p] = +bestRound.phases[i].toFixed(3); });
    const lastStep = timeIt(() => layer.lastStepNorms(), 500);
    const gemmMs = phases.forwardGemm + phases.backwardGemm + phases.weightGradGemm;
    result[variant] = {
      msPerWindow: +total.toFixed(3), msPerWindowMedian: +median.toFixed(3),
      gemmMs: +gemmMs.toFixed(3), elementwiseMs: +(phases.forwardElementwise + phases.backwardElementwise).toFixed(3),
      phasesMs: phases, lastStepNormsMs: +lastStep.toFixed(3), gemmGflopsInLayer: +(805.3e6 / gemmMs / 1e6).toFixed(1), gemms,
    };
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// training step

const ADAM = { learningRate: 2e-3, clipNorm: 5 };

function corpusIds(file) {
  const chars = Array.from(readFileSync(file, 'utf8'));
  const vocab = [...new Set(chars)].sort();
  const index = new Map(vocab.map((c, i) => [c, i]));
  return { ids: Int32Array.from(chars, (c) => index.get(c)), V: vocab.length };
}

/** One engine step (SequenceModel + Trainer, cpu backend) against one fused step from the same weights. */
async function trainCheck(lib, mod) {
  const { tf } = lib;
  await tf.setBackend('cpu');
  const shape = { vocab: 23, hidden: 32, batch: 8, steps: 16 };
  const model = lib.SequenceModel.create({ cell: 'lstm', layers: 1, hiddenSize: shape.hidden, vocabSize: shape.vocab, dropout: 0 }, 7);
  const trainer = new lib.Trainer(model, { optimizer: 'adam', learningRate: ADAM.learningRate, clipNorm: 0.12, batch: shape.batch });
  const fused = new lib.FusedModel(mod, { cell: 'lstm', layers: 1, dropout: 0, ...shape });
  const get = (k) => model.named.find((n) => n.key === k).variable.dataSync().slice();
  fused.setWeights(['layer0.Wx', 'layer0.Wh', 'layer0.b', 'out.W', 'out.b'].map(get));
  const r = rng(11);
  const out = { steps: [] };
  for (let s = 0; s < 3; s++) {
    const n = shape.steps * shape.batch;
    const x = Int32Array.from({ length: n }, () => Math.floor(r() * shape.vocab));
    const y = Int32Array.from({ length: n }, () => Math.floor(r() * shape.vocab));
    const a = trainer.step({ x, y, resetState: s === 0 });
    const b = fused.step(x, y, { learningRate: ADAM.learningRate, clipNorm: 0.12 });
    out.steps.push({ lossEngine: a.loss, lossFused: b.loss, gradNormEngine: a.gradNorm, gradNormFused: b.gradNorm, clipped: [a.clipped, b.clipped] });
  }
  const Wy = get('out.W');
  const Vp = fused.Vp;
  const fusedWy = fused.WyPadded;
  const WyF = Float32Array.from({ length: Wy.length }, (_, i) => fusedWy[Math.floor(i / shape.vocab) * Vp + (i % shape.vocab)]);
  out.weightsAfter3Steps = { Wx: errors(fused.top.Wx, get('layer0.Wx')), Wh: errors(fused.top.Wh, get('layer0.Wh')), b: errors(fused.top.b, get('layer0.b')), Wy: errors(WyF, Wy) };
  trainer.dispose();
  model.dispose();
  return out;
}

/** chars/s of the fused training step on the corpus, for `seconds`. */
async function fusedSpeed(lib, variant, corpus, seconds) {
  const mod = await lib.FusedModule.load(wasmDir, variant);
  const { ids, V } = corpusIds(corpus);
  const shape = { vocab: V, hidden: 128, batch: 32, steps: 64 };
  const model = new lib.FusedModel(mod, { cell: 'lstm', layers: 1, dropout: 0, ...shape });
  const r = rng(1);
  const s = 1 / Math.sqrt(V + 128);
  const b = new Float32Array(4 * 128);
  b.fill(1, 128, 256); // forget-gate bias 1, as SequenceModel
  model.setWeights([fill(new Float32Array(V * 512), r, s), fill(new Float32Array(128 * 512), r, s), b, fill(new Float32Array(128 * V), r, 1 / Math.sqrt(128)), new Float32Array(V)]);
  const batcher = new lib.StreamBatcher(ids.subarray(0, Math.floor(ids.length * 0.9)), 32, 64);
  const one = () => {
    const w = batcher.next();
    if (w.resetState) model.resetState();
    return model.step(w.x, w.y, ADAM);
  };
  let first;
  for (let i = 0; i < 3; i++) first ??= one().loss;
  let n = 0, last;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) { last = one(); n++; }
  const dt = (performance.now() - t0) / 1000;
  return { impl: `fused-${mod.variant}`, steps: n, msPerStep: +((dt * 1000) / n).toFixed(2), charsPerSec: Math.round((n * 2048) / dt), firstLoss: +first.toFixed(3), lastLoss: +last.loss.toFixed(3) };
}

/** The current engine (tfjs wasm, hand-written BPTT) through its CLI, bundled from src into .scratch. */
async function engineCli() {
  const esbuild = require(join(root, 'node_modules', 'esbuild'));
  const outdir = join(root, '.scratch', 'fused-kernels', 'engine');
  mkdirSync(join(outdir, 'wasm'), { recursive: true });
  await esbuild.build({
    entryPoints: { cli: join(root, 'src/cli/main.ts'), shardWorker: join(root, 'src/engine/parallel/shardWorker.ts') },
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', outdir, external: ['vscode', 'mocha'], logLevel: 'warning',
  });
  const tfw = dirname(require.resolve('@tensorflow/tfjs-backend-wasm', { paths: [root] }));
  for (const f of readdirSync(tfw).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(tfw, f), join(outdir, 'wasm', f));
  return join(outdir, 'cli.js');
}

function engineSpeed(cli, corpus, seconds) {
  const r = spawnSync(process.execPath, [cli, 'train', corpus, '--cell', 'lstm', '--seconds', String(seconds), '--workers', '1', '--grad-every', '0', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const done = r.stdout?.split('\n').filter((l) => l.startsWith('{"event":"done"')).pop();
  if (!done) return { impl: 'engine', error: (r.stderr || `exit ${r.status}`).trim().split('\n').pop() };
  const d = JSON.parse(done);
  return { impl: 'engine (tfjs wasm)', steps: d.steps, charsPerSec: d.charsPerSec, lastLoss: d.trainLoss };
}

function torchSpeed(corpus, seconds) {
  const script = opt.reference ?? join(root, '..', 'shared', 'bench', 'reference_torch.py');
  const r = spawnSync('/usr/bin/python3', [script, corpus, '--threads', '1', '--seconds', String(seconds)], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' } });
  const line = r.stdout?.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) return { impl: 'pytorch', error: (r.stderr || `exit ${r.status}`).trim().split('\n').pop() };
  const d = JSON.parse(line);
  return { impl: 'pytorch 1 thread', blas: d.blas, msPerStep: d.msPerStep, charsPerSec: d.charsPerSec, lastLoss: d.trainLoss };
}

async function train(lib) {
  const corpus = opt.corpus ?? join(root, 'samples', 'shakespeare.txt');
  const seconds = Number(opt.seconds ?? 15);
  const check = {};
  for (const variant of ['simd', 'relaxed']) check[variant] = await trainCheck(lib, await lib.FusedModule.load(wasmDir, variant));
  const cli = await engineCli();
  const rounds = [];
  // Alternate the implementations so that drift in machine load hits all of them alike.
  for (let round = 0; round < 2; round++) {
    rounds.push(await fusedSpeed(lib, 'relaxed', corpus, seconds));
    rounds.push(await fusedSpeed(lib, 'simd', corpus, seconds));
    rounds.push(engineSpeed(cli, corpus, seconds));
    rounds.push(torchSpeed(corpus, seconds));
    if (!opt.json) console.error(JSON.stringify(rounds.slice(-4)));
  }
  return { check, corpus, seconds, rounds };
}

// ---------------------------------------------------------------------------------------------

const lib = await bundle();
const report = {};
if (parts.includes('check')) report.check = await check(lib);
if (parts.includes('kernel')) report.kernel = await kernel(lib);
if (parts.includes('train')) report.train = await train(lib);
console.log(JSON.stringify(report, null, 2));
