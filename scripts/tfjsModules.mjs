// An esbuild plugin shared by the build (esbuild.mjs) and the measurement scripts (bench/).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Resolves tfjs-core and its two backends to their ES modules instead of their Node bundles: the
 * gradients that src/engine/backend.ts registers from tfjs-core's own modules must land in the
 * same tfjs-core the backends use, and the backends' classes must extend that tfjs-core's.
 */
export const tfjsModules = {
  name: 'tfjs-modules',
  setup(build) {
    const entry = (pkg) => join(dirname(require.resolve(`${pkg}/package.json`)), 'dist', 'index.js');
    const entries = Object.fromEntries(['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm'].map((p) => [p, entry(p)]));
    build.onResolve({ filter: /^@tensorflow\/tfjs-(core|backend-cpu|backend-wasm)$/ }, (args) => ({ path: entries[args.path] }));
  },
};

