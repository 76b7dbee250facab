/** Chooses and prepares the tfjs backend: wasm (shipped binaries, no network) or cpu. */
import * as tf from '@tensorflow/tfjs-core';
// Loading the cpu backend registers it (the reference, and the fallback where WebAssembly is
// missing); its version is read below so that the bundler keeps the module.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
// The gradients of tfjs's ops, which training needs; tfjs-core alone registers none.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { installWasmKernelFixes } from './kernels';

export type BackendName = 'wasm' | 'cpu';

export interface BackendInfo {
  name: string;
  simd: boolean;
  kernelFixes: string[];
}

/** Finds the folder holding the tfjs wasm binaries next to a bundle (dist/wasm). */
export function findWasmDir(from: string): string {
  const candidates = [path.join(from, 'wasm'), path.join(from, '..', 'wasm'), path.join(from, '..', '..', 'wasm')];
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm'))) return dir;
  }
  throw new Error(`tfjs wasm binaries not found near ${from} (looked in ${candidates.join(', ')})`);
}

/** Finds a sibling bundle (e.g. dist/shardWorker.js) from a bundle's folder or a test's. */
export function findBundle(from: string, name: string): string {
  const candidates = [path.join(from, name), path.join(from, '..', name), path.join(from, '..', '..', name)];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`${name} not found near ${from}`);
  return found;
}

let initialised: BackendInfo | undefined;

/** Sets the backend once per thread. */
export async function initBackend(name: BackendName, wasmDir?: string): Promise<BackendInfo> {
  if (initialised) {
    if (initialised.name !== name) {
      if (!(await tf.setBackend(name))) throw new Error(`backend ${name} could not start`);
      initialised = { name, simd: false, kernelFixes: [] };
    }
    return initialised;
  }
  if (!tf.findBackendFactory('cpu')) throw new Error(`the tfjs cpu backend ${version_cpu} is not registered`);
  let kernelFixes: string[] = [];
  if (name === 'wasm') {
    if (!wasmDir) throw new Error('the wasm backend needs the folder of its .wasm files');
    setWasmPaths(wasmDir.endsWith(path.sep) ? wasmDir : wasmDir + path.sep);
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} could not start`);
  await tf.ready();
  if (name === 'wasm') kernelFixes = installWasmKernelFixes();
  const simd = name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : false;
  initialised = { name: tf.getBackend(), simd, kernelFixes };
  return initialised;
}
