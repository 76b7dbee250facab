// Compiles the fused LSTM kernels (AssemblyScript) to two WebAssembly modules:
//   build/lstm-simd.wasm     128-bit SIMD only (runs everywhere SIMD does)
//   build/lstm-relaxed.wasm  + relaxed SIMD (f32x4.relaxed_madd → a real FMA where the CPU has one)
// The loader picks the relaxed module when WebAssembly.validate accepts it.
//
// usage: node wasm/build.mjs (npm run build runs it when a source changed); ASC may name the
// compiler (assemblyscript's bin/asc.js or an asc executable), by default the project's own.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const asc = process.env.ASC ?? join(here, '..', 'node_modules', 'assemblyscript', 'bin', 'asc.js');
const entry = join(here, 'lstm', 'index.ts');
const out = join(here, 'build');
mkdirSync(out, { recursive: true });

// --runtime stub: no garbage collector; the kernels allocate nothing, the JS side owns the layout.
// --noAssert: the loops index with values the JS side has validated once per call.
const common = [entry, '-O3', '--noAssert', '--runtime', 'stub', '--enable', 'simd'];
const variants = [
  { file: 'lstm-simd.wasm', flags: [] },
  { file: 'lstm-relaxed.wasm', flags: ['--enable', 'relaxed-simd'] },
];
for (const v of variants) {
  const args = [...common, ...v.flags, '-o', join(out, v.file)];
  // asc.js is a Node script; an executable (a shell wrapper) runs directly.
  const r = asc.endsWith('.js') ? spawnSync(process.execPath, [asc, ...args], { stdio: 'inherit' }) : spawnSync(asc, args, { stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.error(`asc failed for ${v.file}: ${r.error?.message ?? `exit ${r.status}`} (set ASC to the asc binary)`);
    process.exit(1);
  }
  console.log(`built ${join(out, v.file)}`);
}
