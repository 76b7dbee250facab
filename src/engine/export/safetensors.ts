/**
 * The safetensors file format (Hugging Face), float32 only: a writer for exports and a strict
 * reader that checks what the writer promises.
 *
 *   offset 0   uint64 LE   N, the header's length in bytes
 *          8   N bytes     UTF-8 JSON: { "__metadata__": {string: string}, name: {dtype, shape, data_offsets}, … },
 *                          padded with spaces so that N (and so the data's start) is a multiple of 8
 *      8 + N   the data    each tensor's values, little-endian, row-major, at [begin, end) of this
 *                          buffer; back to back in header order, no gaps
 */
import type { TensorRecord } from '../checkpointFormat';

/** Hugging Face's readers refuse headers above 100 MB. */
export const SAFETENSORS_MAX_HEADER = 100_000_000;
const ALIGN = 8;

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

export interface SafetensorsFile {
  tensors: TensorRecord[];
  metadata: Record<string, string>;
}

const elements = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/** Serializes float32 tensors and string metadata; tensors keep the order given. */
export function encodeSafetensors({ tensors, metadata }: SafetensorsFile): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in header) throw new SafetensorsError(`tensor name "${t.name}" is taken`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new SafetensorsError(`tensor "${t.name}" has an invalid shape [${t.shape.join(', ')}]`);
    if (elements(t.shape) !== t.data.length) throw new SafetensorsError(`tensor "${t.name}" has shape [${t.shape.join(', ')}] but ${t.data.length} values`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new SafetensorsError(`metadata "${k}" must be a string`);
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / ALIGN) * ALIGN;
  if (padded > SAFETENSORS_MAX_HEADER) throw new SafetensorsError(`the header would be ${padded} bytes, more than the ${SAFETENSORS_MAX_HEADER} readers accept`);
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let pos = 8 + padded;
  for (const { data } of tensors) {
    for (let i = 0; i < data.length; i++) view.setFloat32(pos + 4 * i, data[i], true);
    pos += 4 * data.length;
  }
  return out;
}

function fail(why: string): never {
  throw new SafetensorsError(`not a valid safetensors file: ${why}`);
}

/** Parses a float32 safetensors file, checking the header's offsets cover the data exactly. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) fail(`${bytes.length} bytes, shorter than the length prefix`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(Math.min(SAFETENSORS_MAX_HEADER, bytes.length - 8))) fail(`the header claims ${declared} bytes; the file has ${bytes.length}`);
  const n = Number(declared);
  let root: unknown;
  try {
    root = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) fail('the header is not a JSON object');
  const dataStart = 8 + n;
  const dataBytes = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: (TensorRecord & { begin: number })[] = [];
  for (const [name, entry] of Object.entries(root as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') fail(`metadata "${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e.dtype !== 'F32') fail(`tensor "${name}" has dtype ${JSON.stringify(e.dtype)}; only F32 is read`);
    const shape = e.shape;
    const offsets = e.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}" has no valid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}" has no valid data_offsets`);
    const [begin, end] = offsets as number[];
    const count = elements(shape as number[]);
    if (end - begin !== 4 * count) fail(`tensor "${name}" spans ${end - begin} bytes for ${count} values`);
    if (end > dataBytes) fail(`tensor "${name}" ends at byte ${end} of ${dataBytes}`);
    const data = new Float32Array(count);
    const at = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, 4 * count);
    for (let i = 0; i < count; i++) data[i] = at.getFloat32(4 * i, true);
    tensors.push({ name, shape: shape as number[], data, begin });
  }
  // Sorted by offset, the tensors must tile the data: no gap, no overlap, nothing after.
  let expected = 0;
  for (const t of [...tensors].sort((a, b) => a.begin - b.begin)) {
    if (t.begin !== expected) fail(`tensor "${t.name}" starts at byte ${t.begin}, expected ${expected}`);
    expected += 4 * t.data.length;
  }
  if (expected !== dataBytes) fail(`the tensors cover ${expected} of ${dataBytes} data bytes`);
  return { tensors: tensors.map(({ name, shape, data }) => ({ name, shape, data })), metadata };
}
