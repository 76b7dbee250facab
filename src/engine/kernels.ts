/**
 * Replacements for wasm-backend kernels of @tensorflow/tfjs-backend-wasm 4.22.0 that are slow or
 * missing, registered through the public kernel registry:
 * - BatchMatMul / _FusedMatMul with transposeA/transposeB run a scalar loop in that version; we
 *   transpose the operand explicitly and call the fast untransposed path.
 * - Slice, Unpack and SplitV copy the whole input for every slice; we copy only the slice,
 *   reading through a view of wasm memory.
 * - UnsortedSegmentSum (the gradient of gather) is not registered at all.
 * - GatherV2 along axis 0 (an embedding lookup) and Sum over leading axes (a bias gradient) take
 *   tens of milliseconds for a million elements; a row copy and a row-wise accumulation through
 *   the heap view take about one.
 * Each replacement is tested against the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** The subset of the wasm backend's API the replacements use. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
}

type Args = Parameters<KernelFunc>[0];

const REPLACED = Symbol('lstmLabReplaced');

function replace(name: string, make: (original: KernelConfig) => KernelFunc): boolean {
  const original = tf.getKernel(name, 'wasm') as (KernelConfig & { [REPLACED]?: boolean }) | undefined;
  if (!original || original[REPLACED]) return false;
  tf.unregisterKernel(name, 'wasm');
  const config: KernelConfig & { [REPLACED]: boolean } = {
    kernelName: name,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: make(original),
    [REPLACED]: true,
  };
  tf.registerKernel(config);
  return true;
}

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

function fixMatMul(name: string): boolean {
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) return false;
  return replace(name, (original) => (args: Args) => {
    const { inputs, attrs, backend } = args;
    const a0 = inputs.a as TensorInfo;
    const b0 = inputs.b as TensorInfo;
    const ta = Boolean(attrs?.transposeA);
    const tb = Boolean(attrs?.transposeB);
    if (!ta && !tb) return original.kernelFunc(args);
    const flip = (x: TensorInfo) =>
      transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm: swapLastTwo(x.shape.length) } }) as TensorInfo;
    const a = ta ? flip(a0) : a0;
    const b = tb ? flip(b0) : b0;
    const out = original.kernelFunc({ inputs: { ...inputs, a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    const wasm = backend as unknown as WasmBackendLike;
    if (a !== a0) wasm.disposeData(a.dataId);
    if (b !== b0) wasm.disposeData(b.dataId);
    return out;
  });
}

function rowMajorStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/** Copies x[begin : begin + size] into a new tensor, touching only the copied elements. */
export function copySlice(x: TensorInfo, begin: number[], size: number[], backend: WasmBackendLike): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  // Views are taken after makeOutput: allocation can grow (and move) the heap.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  if (rank === 0) {
    dst[0] = src[0];
    return out;
  }
  const strides = rowMajorStrides(x.shape);
  // Dimensions after `inner` are taken whole, so each innermost run is one contiguous copy.
  let inner = rank - 1;
  while (inner > 0 && size[inner] === x.shape[inner]) inner--;
  const run = size[inner] * strides[inner];
  let written = 0;
  const walk = (d: number, offset: number): void => {
    if (d === inner) {
      const start = offset + begin[inner] * strides[inner];
      dst.set(src.subarray(start, start + run), written);
      written += run;
      return;
    }
    for (let i = 0; i < size[d]; i++) walk(d + 1, offset + (begin[d] + i) * strides[d]);
  };
  walk(0, 0);
  return out;
}

function fixSlices(): string[] {
  const done: string[] = [];
  const fixed = (name: string, fn: (original: KernelConfig) => KernelFunc) => { if (replace(name, fn)) done.push(name); };
  fixed('Slice', (original) => (args: Args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args);
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs!.begin as number[], args.attrs!.size as number[]);
    // Out-of-bounds slices are refused, as the cpu backend's Slice refuses them.
    tf.slice_util.assertParamsValid(x, begin, size);
    return copySlice(x, begin, size, args.backend as unknown as WasmBackendLike);
  });
  fixed('Unpack', (original) => (args: Args) => {
    const value = args.inputs.value as TensorInfo;
    if (value.dtype === 'string') return original.kernelFunc(args);
    const rank = value.shape.length;
    const axis = ((args.attrs!.axis as number) + rank) % rank;
    const outShape = value.shape.filter((_, i) => i !== axis);
    const size = value.shape.slice();
    size[axis] = 1;
    const outs: TensorInfo[] = [];
    for (let i = 0; i < value.shape[axis]; i++) {
      const begin = new Array<number>(rank).fill(0);
      begin[axis] = i;
      const o = copySlice(value, begin, size, args.backend as unknown as WasmBackendLike);
      o.shape = outShape;
      outs.push(o);
    }
    return outs;
  });
  fixed('SplitV', (original) => (args: Args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args);
    const axis = tf.util.parseAxisParam(args.attrs!.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs!.numOrSizeSplits as number[] | number, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[axis] = s;
      const o = copySlice(x, begin.slice(), size, args.backend as unknown as WasmBackendLike);
      begin[axis] += s;
      return o;
    });
  });
  return done;
}

function addUnsortedSegmentSum(): boolean {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return false;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const x = inputs.x as TensorInfo;
      const ids = inputs.segmentIds as TensorInfo;
      const numSegments = attrs!.numSegments as number;
      const rowShape = x.shape.slice(ids.shape.length);
      const inner = rowShape.reduce((a, b) => a * b, 1);
      const wasm = backend as unknown as WasmBackendLike;
      const out = wasm.makeOutput([numSegments, ...rowShape], x.dtype);
      const src = wasm.typedArrayFromHeap(x);
      const dst = wasm.typedArrayFromHeap(out);
      const seg = wasm.typedArrayFromHeap(ids);
      dst.fill(0);
      for (let r = 0; r < seg.length; r++) {
        const s = seg[r];
        if (s < 0 || s >= numSegments) continue;
        const o = s * inner;
        const xo = r * inner;
        for (let j = 0; j < inner; j++) dst[o + j] += src[xo + j];
      }
      return out;
    },
  });
  return true;
}

/** Gathers whole rows (axis 0, no batch dimensions) by copying them. */
function fixGather(): boolean {
  return replace('GatherV2', (original) => (args: Args) => {
    const x = args.inputs.x as TensorInfo;
    const indices = args.inputs.indices as TensorInfo;
    const axis = args.attrs!.axis as number;
    const batchDims = (args.attrs!.batchDims as number) ?? 0;
    if (x.dtype === 'string' || axis !== 0 || batchDims !== 0 || x.shape.length < 1) return original.kernelFunc(args);
    const rows = x.shape[0];
    const rowShape = x.shape.slice(1);
    const inner = rowShape.reduce((a, b) => a * b, 1);
    const wasm = args.backend as unknown as WasmBackendLike;
    const out = wasm.makeOutput([...indices.shape, ...rowShape], x.dtype);
    const src = wasm.typedArrayFromHeap(x);
    const dst = wasm.typedArrayFromHeap(out);
    const idx = wasm.typedArrayFromHeap(indices);
    for (let r = 0; r < idx.length; r++) {
      const i = idx[r];
      if (i < 0 || i >= rows) throw new Error(`gather index ${i} is outside [0, ${rows})`);
      dst.set(src.subarray(i * inner, (i + 1) * inner), r * inner);
    }
    return out;
  });
}

/** Sums over the leading axes (e.g. axis 0 of [N, D]) by accumulating rows. */
function fixSum(): boolean {
  return replace('Sum', (original) => (args: Args) => {
    const x = args.inputs.x as TensorInfo;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(args.attrs!.axis as number | number[], x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, k) => a === k);
    if (x.dtype !== 'float32' || !leading) return original.kernelFunc(args);
    const outer = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
    const keep = x.shape.slice(axes.length);
    const inner = keep.reduce((a, b) => a * b, 1);
    const wasm = args.backend as unknown as WasmBackendLike;
    const shape = args.attrs!.keepDims ? [...axes.map(() => 1), ...keep] : keep;
    const out = wasm.makeOutput(shape, 'float32');
    const src = wasm.typedArrayFromHeap(x);
    const dst = wasm.typedArrayFromHeap(out);
    dst.fill(0);
    for (let r = 0; r < outer; r++) {
      const o = r * inner;
      for (let j = 0; j < inner; j++) dst[j] += src[o + j];
    }
    return out;
  });
}

/** Registers every replacement on the wasm backend; returns the kernel names replaced or added. */
export function installWasmKernelFixes(): string[] {
  const done: string[] = [];
  for (const name of ['BatchMatMul', '_FusedMatMul']) if (fixMatMul(name)) done.push(name);
  done.push(...fixSlices());
  if (addUnsortedSegmentSum()) done.push('UnsortedSegmentSum');
  if (fixGather()) done.push('GatherV2');
  if (fixSum()) done.push('Sum');
  return done;
}
