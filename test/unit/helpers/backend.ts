import * as tf from '@tensorflow/tfjs-core';
import { findWasmDir, initBackend } from '../../../src/engine/backend';

/** Starts the wasm backend with the shipped binaries (dist/wasm) and the kernel fixes. */
export async function useWasm(): Promise<void> {
  await initBackend('wasm', findWasmDir(__dirname));
  await tf.setBackend('wasm');
}

/** Deterministic pseudo-random floats in [-scale, scale]. */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    a[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return a;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
