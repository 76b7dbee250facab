// Bundles the extension, the training worker, the CLI, the webview and the test suites into dist/.
// Types are checked separately by `npm run typecheck`.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { tfjsModules } from './scripts/tfjsModules.mjs';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
// --no-clean keeps dist/ (and whatever reads it meanwhile) instead of starting from nothing.
const clean = !watch && !process.argv.includes('--no-clean');
const out = 'dist';

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // tfjs probes for optional Node modules it never needs here.
  external: ['vscode', 'mocha'],
  plugins: [tfjsModules],
};

const unitTests = readdirSync('test/unit').filter((f) => f.endsWith('.test.ts')).map((f) => join('test/unit', f));

const builds = [
  // The metafiles list each bundle's inputs: test/unit/boundaries.test.ts checks that no tfjs
  // module reaches the extension host's or the webview's bundle.
  { ...node, entryPoints: { extension: 'src/extension.ts', worker: 'src/worker/main.ts', trainingWorker: 'src/worker/trainingMain.ts', seq2seqWorker: 'src/worker/seq2seqMain.ts', shardWorker: 'src/engine/parallel/shardWorker.ts' }, outdir: out, metafile: true },
  { ...node, entryPoints: { cli: 'src/cli/main.ts' }, outdir: out, banner: { js: '#!/usr/bin/env node' } },
  {
    bundle: true, platform: 'browser', format: 'iife', target: 'es2022', sourcemap: !production, minify: production,
    logLevel: 'warning', entryPoints: { webview: 'webview/main.ts' }, outdir: out, metafile: true,
  },
  // ESLint is loaded from node_modules by the boundary test, not bundled.
  { ...node, entryPoints: unitTests, outdir: join(out, 'test/unit'), sourcemap: true, external: [...node.external, 'eslint'] },
  { ...node, entryPoints: ['test/integration/index.ts'], outdir: join(out, 'test/integration'), sourcemap: true },
];

/**
 * Compiles the fused kernels (wasm/lstm, AssemblyScript) into wasm/build unless the binaries are
 * newer than every source; both builds (plain and relaxed SIMD) ship in dist/wasm.
 */
function buildKernels() {
  const sources = readdirSync('wasm/lstm').map((f) => join('wasm/lstm', f));
  const outputs = ['wasm/build/lstm-simd.wasm', 'wasm/build/lstm-relaxed.wasm'];
  const newest = Math.max(...[...sources, 'wasm/build.mjs'].map((f) => statSync(f).mtimeMs));
  const fresh = outputs.every((f) => existsSync(f) && statSync(f).mtimeMs >= newest);
  if (!fresh) {
    const asc = join(dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
    const r = spawnSync(process.execPath, ['wasm/build.mjs'], { stdio: 'inherit', env: { ...process.env, ASC: asc } });
    if (r.status !== 0) throw new Error('the fused kernels did not compile');
  }
  for (const f of outputs) cpSync(f, join(out, 'wasm', basename(f)));
}

function copyAssets() {
  // The wasm binaries ship with the extension and are loaded from dist/wasm at run time.
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '');
  mkdirSync(join(out, 'wasm'), { recursive: true });
  for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) cpSync(join(wasmDir, f), join(out, 'wasm', f));
  cpSync(require.resolve('uplot/dist/uPlot.min.css'), join(out, 'uPlot.min.css'));
}

if (clean) rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
copyAssets();
buildKernels();
if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('watching…');
} else {
  const results = await Promise.all(builds.map((b) => esbuild.build(b)));
  const inputs = {};
  for (const r of results) for (const [file, o] of Object.entries(r.metafile?.outputs ?? {})) if (file.endsWith('.js')) inputs[file] = Object.keys(o.inputs);
  writeFileSync(join(out, 'bundle-inputs.json'), JSON.stringify(inputs, null, 1));
}
