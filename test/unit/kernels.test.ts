/** The wasm kernel replacements give the cpu backend's answers. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { maxAbsDiff, randomArray, useWasm } from './helpers/backend';

interface Output { data: Float32Array; shape: number[]; dtype: string }

async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Output[]; wasm: Output[] }> {
  const run = () => {
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    const data = list.map((t) => ({ data: Float32Array.from(t.dataSync()), shape: t.shape.slice(), dtype: t.dtype }));
    tf.dispose(list);
    return data;
  };
  await tf.setBackend('cpu');
  const cpu = run();
  await useWasm();
  const wasm = run();
  return { cpu, wasm };
}

/** Same number of outputs, each with the same shape, dtype and values (within `tol`). */
function assertSame(r: { cpu: Output[]; wasm: Output[] }, tol: number): void {
  assert.equal(r.cpu.length, r.wasm.length);
  r.cpu.forEach((c, i) => {
    const w = r.wasm[i];
    assert.deepEqual(w.shape, c.shape, `output ${i}: shape`);
    assert.equal(w.dtype, c.dtype, `output ${i}: dtype`);
    assert.ok(maxAbsDiff(c.data, w.data) <= tol, `output ${i}: max diff ${maxAbsDiff(c.data, w.data)}`);
  });
}

test('kernel fixes are installed on wasm', async () => {
  await useWasm();
  const { initBackend } = await import('../../src/engine/backend');
  const info = await initBackend('wasm');
  for (const k of ['BatchMatMul', '_FusedMatMul', 'Slice', 'Unpack', 'SplitV', 'UnsortedSegmentSum', 'GatherV2', 'Sum']) {
    assert.ok(info.kernelFixes.includes(k), `${k} replaced`);
  }
});

test('matMul with every transpose combination matches cpu', async () => {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    const r = await onBoth(() => {
      const a = tf.tensor2d(randomArray(6 * 5, 1), ta ? [5, 6] : [6, 5]);
      const b = tf.tensor2d(randomArray(5 * 4, 2), tb ? [4, 5] : [5, 4]);
      return tf.matMul(a, b, ta, tb);
    });
    assertSame(r, 1e-5);
  }
  const batched = await onBoth(() => tf.matMul(tf.tensor3d(randomArray(2 * 3 * 4, 3), [2, 4, 3]), tf.tensor3d(randomArray(2 * 4 * 5, 4), [2, 4, 5]), true, false));
  assertSame(batched, 1e-5);
});

test('slice, unstack and split match cpu', async () => {
  const x = () => tf.tensor3d(randomArray(4 * 5 * 6, 5), [4, 5, 6]);
  assertSame(await onBoth(() => tf.slice(x(), [1, 2, 0], [2, 3, 6])), 0);
  assertSame(await onBoth(() => tf.slice(x(), [0, 1, 2], [4, 3, 3])), 0);
  assertSame(await onBoth(() => tf.unstack(x(), 0)), 0);
  assertSame(await onBoth(() => tf.unstack(x(), 1)), 0);
  assertSame(await onBoth(() => tf.split(x(), [1, 3, 2], 2)), 0);
  assertSame(await onBoth(() => tf.slice(tf.tensor1d([1, 2, 3, 4], 'int32'), [1], [2])), 0);
});

test('a slice past the end is refused on wasm as on cpu', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    if (backend === 'cpu') await tf.setBackend('cpu');
    else await useWasm();
    assert.throws(() => tf.tidy(() => tf.slice(tf.tensor2d(randomArray(4 * 5, 9), [4, 5]), [3, 0], [2, 5])), /slice|size|begin/i, backend);
  }
});

test('unsortedSegmentSum (the gradient of gather) matches cpu', async () => {
  const r = await onBoth(() => tf.unsortedSegmentSum(tf.tensor2d(randomArray(7 * 3, 6), [7, 3]), tf.tensor1d([0, 2, 2, 4, 0, 1, 4], 'int32'), 5));
  assertSame(r, 1e-6);
  const g = await onBoth(() => tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.gather(w, tf.tensor1d([1, 1, 3], 'int32')), tf.tensor2d(randomArray(6, 7), [3, 2]))))(tf.tensor2d(randomArray(8, 8), [4, 2])));
  assertSame(g, 1e-6);
});

test('gather of rows and its fallbacks match cpu', async () => {
  const x = () => tf.tensor3d(randomArray(5 * 3 * 2, 9), [5, 3, 2]);
  assertSame(await onBoth(() => tf.gather(x(), tf.tensor1d([4, 0, 0, 2], 'int32'))), 0);
  assertSame(await onBoth(() => tf.gather(x(), tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'))), 0);
  assertSame(await onBoth(() => tf.gather(x(), tf.tensor1d([2, 0], 'int32'), 1)), 0);
  assertSame(await onBoth(() => tf.gather(tf.tensor1d([7, 8, 9], 'int32'), tf.tensor1d([2, 2, 0], 'int32'))), 0);
});

test('sum over leading axes and its fallbacks match cpu', async () => {
  const x = () => tf.tensor3d(randomArray(4 * 5 * 6, 10), [4, 5, 6]);
  assertSame(await onBoth(() => tf.sum(x(), 0)), 1e-5);
  assertSame(await onBoth(() => tf.sum(x(), [0, 1])), 1e-5);
  assertSame(await onBoth(() => tf.sum(x(), [1, 0], true)), 1e-5);
  assertSame(await onBoth(() => tf.sum(x(), 2)), 1e-5);
  assertSame(await onBoth(() => tf.sum(x())), 1e-4);
  assertSame(await onBoth(() => tf.sum(x(), 1)), 1e-5);
});
