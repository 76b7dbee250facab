/**
 * Reads a checkpoint's bytes (checkpointFormat.ts describes the layout): the fixed prefix, then the
 * JSON header field by field, then the tensors, checking sizes before allocating and naming the
 * first problem found. The header is only ever given to JSON.parse.
 */
import {
  CHECKPOINT_LIMITS, CHECKPOINT_VERSION, CHECKSUM_BYTES, CheckpointError, checkContents, crc32, elementCount, fmtShape, isStep,
  LITTLE_ENDIAN, MAGIC, PREFIX_BYTES, tooLargeTotal, type Checkpoint, type CheckpointExpectation, type TensorRecord,
} from './checkpointFormat';

type Json = unknown;

/** A short description of a header value for an error message, whatever its size or depth. */
function describeValue(v: Json): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string' && v.length > 40) return `${JSON.stringify(v.slice(0, 40)).slice(0, -1)}…"`;
  let s: string;
  try {
    s = JSON.stringify(v);
  } catch {
    // Nested too deeply to write back out.
    return Array.isArray(v) ? `an array of ${v.length}` : 'an object';
  }
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function fieldError(path: string, wanted: string, found: Json): CheckpointError {
  return new CheckpointError(`header field "${path}" must be ${wanted}, found ${describeValue(found)}`, 'header');
}

function asObject(v: Json, path: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fieldError(path, 'an object', v);
  return v as Record<string, Json>;
}

function asArray(v: Json, path: string): Json[] {
  if (!Array.isArray(v)) throw fieldError(path, 'an array', v);
  return v;
}

function asString(v: Json, path: string): string {
  if (typeof v !== 'string') throw fieldError(path, 'a string', v);
  return v;
}

function asCount(v: Json, path: string): number {
  if (typeof v !== 'number' || !isStep(v)) throw fieldError(path, 'a whole number ≥ 0', v);
  return v;
}

function asLoss(v: Json, path: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
  throw fieldError(path, 'a number', v);
}

interface TensorSlice { name: string; shape: number[]; byteOffset: number; byteLength: number }

function readTensorList(v: Json, path: string): TensorSlice[] {
  return asArray(v, path).map((item, i) => {
    const p = `${path}[${i}]`;
    const o = asObject(item, p);
    return {
      name: asString(o.name, `${p}.name`),
      shape: asArray(o.shape, `${p}.shape`).map((d, j) => asCount(d, `${p}.shape[${j}]`)),
      byteOffset: asCount(o.byteOffset, `${p}.byteOffset`),
      byteLength: asCount(o.byteLength, `${p}.byteLength`),
    };
  });
}

function readMetric(v: Json, path: string): { step: number; loss: number }[] {
  return asArray(v, path).map((item, i) => {
    const pair = asArray(item, `${path}[${i}]`);
    if (pair.length !== 2) throw fieldError(`${path}[${i}]`, 'a [step, loss] pair', pair);
    return { step: asCount(pair[0], `${path}[${i}][0]`), loss: asLoss(pair[1], `${path}[${i}][1]`) };
  });
}

interface Header {
  checkpoint: Omit<Checkpoint, 'weights' | 'optimizer'>;
  weights: TensorSlice[];
  optimizer: { name: string; step: number; slots: TensorSlice[] } | null;
}

function readHeader(root: Json): Header {
  const h = asObject(root, 'header');
  const createdAt = asString(h.createdAt, 'createdAt');
  const vocab = asObject(h.vocab, 'vocab');
  const mode = vocab.mode;
  if (mode !== 'char' && mode !== 'word') throw fieldError('vocab.mode', '"char" or "word"', mode);
  const tokens = asArray(vocab.tokens, 'vocab.tokens').map((t, i) => asString(t, `vocab.tokens[${i}]`));
  let optimizer: Header['optimizer'] = null;
  if (h.optimizer !== null) {
    const o = asObject(h.optimizer, 'optimizer');
    optimizer = { name: asString(o.name, 'optimizer.name'), step: asCount(o.step, 'optimizer.step'), slots: readTensorList(o.slots, 'optimizer.slots') };
  }
  const metrics = asObject(h.metrics, 'metrics');
  return {
    checkpoint: {
      config: asObject(h.config, 'config'),
      vocab: { mode, tokens },
      metrics: { train: readMetric(metrics.train, 'metrics.train'), val: readMetric(metrics.val, 'metrics.val') },
      bestValLoss: h.bestValLoss === null ? null : asLoss(h.bestValLoss, 'bestValLoss'),
      createdAt,
    },
    weights: readTensorList(h.weights, 'weights'),
    optimizer,
  };
}

/**
 * Copies a tensor's values out of the file. A copy, because the file's buffer need not be 4-byte
 * aligned, and the tensor should not keep the whole file alive.
 */
function copyFloats(bytes: Uint8Array, start: number, count: number): Float32Array {
  const data = new Float32Array(count);
  if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(bytes.subarray(start, start + 4 * count));
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset + start, 4 * count);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true);
  }
  return data;
}

function checkExpectation(c: Checkpoint, expect: CheckpointExpectation): void {
  if (expect.vocabSize !== undefined && c.vocab.tokens.length !== expect.vocabSize) {
    throw new CheckpointError(`the checkpoint's vocabulary has ${c.vocab.tokens.length} tokens, the model expects ${expect.vocabSize}`, 'mismatch');
  }
  if (!expect.weights) return;
  const saved = new Map(c.weights.map((w) => [w.name, w.shape]));
  for (const { name, shape } of expect.weights) {
    const found = saved.get(name);
    if (!found) throw new CheckpointError(`the checkpoint has no weight "${name}" (expected shape ${fmtShape(shape)})`, 'mismatch');
    if (found.length !== shape.length || found.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(`weight "${name}" has shape ${fmtShape(found)} in the checkpoint, the model expects ${fmtShape(shape)}`, 'mismatch');
    }
  }
  const wanted = new Set(expect.weights.map((w) => w.name));
  const extra = c.weights.find((w) => !wanted.has(w.name));
  if (extra) throw new CheckpointError(`the checkpoint has weight "${extra.name}" that the model does not`, 'mismatch');
}

/** Parses and validates a checkpoint file's bytes; throws CheckpointError naming what is wrong. */
export function decodeCheckpoint(bytes: Uint8Array, expect?: CheckpointExpectation): Checkpoint {
  const n = bytes.length;
  if (n === 0) throw new CheckpointError('the file is empty (0 bytes), not a checkpoint', 'truncated');
  for (let i = 0; i < Math.min(n, MAGIC.length); i++) {
    if (bytes[i] !== MAGIC[i]) throw new CheckpointError('not an LSTM Lab checkpoint: the file does not start with "LSTMLAB"', 'magic');
  }
  const truncated = (expected: number, what: string) =>
    new CheckpointError(`the checkpoint is truncated: ${what} needs ${expected} bytes, the file has ${n}`, 'truncated');
  if (n < 12) throw truncated(12, 'the format version');
  const view = new DataView(bytes.buffer, bytes.byteOffset, n);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) {
    const newer = version > CHECKPOINT_VERSION ? ' (written by a newer LSTM Lab)' : '';
    throw new CheckpointError(`checkpoint format version ${version}${newer} is not supported: this LSTM Lab reads version ${CHECKPOINT_VERSION}`, 'version');
  }
  if (n < PREFIX_BYTES) throw truncated(PREFIX_BYTES, 'the fixed header');
  const headerBytes = view.getUint32(12, true);
  const declaredData = view.getBigUint64(16, true);
  if (declaredData > BigInt(CHECKPOINT_LIMITS.fileBytes)) {
    throw new CheckpointError(`the checkpoint declares ${declaredData} bytes of tensor data, more than the ${CHECKPOINT_LIMITS.fileBytes} allowed`, 'too-large');
  }
  const dataBytes = Number(declaredData);
  const tooLarge = tooLargeTotal(headerBytes, dataBytes);
  if (tooLarge) throw tooLarge;
  const total = PREFIX_BYTES + headerBytes + dataBytes + CHECKSUM_BYTES;
  if (n < total) throw truncated(total, `a ${headerBytes}-byte header and ${dataBytes} bytes of data`);
  if (n > total) throw new CheckpointError(`the checkpoint has ${n - total} unexpected bytes after its end (expected ${total} bytes, found ${n})`, 'corrupt');
  const stored = view.getUint32(total - CHECKSUM_BYTES, true);
  const actual = crc32(bytes.subarray(0, total - CHECKSUM_BYTES));
  if (stored !== actual) {
    const hex = (x: number) => `0x${x.toString(16).padStart(8, '0')}`;
    throw new CheckpointError(`the checkpoint is corrupted: checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`, 'corrupt');
  }

  let root: Json;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes));
    root = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`the checkpoint's header is not valid UTF-8 JSON: ${(e as Error).message}`, 'header');
  }
  const header = readHeader(root);
  const dataStart = PREFIX_BYTES + headerBytes;
  let offset = 0;
  const read = ({ name, shape, byteOffset, byteLength }: TensorSlice): TensorRecord => {
    const count = elementCount(name, shape);
    if (byteLength !== 4 * count) {
      throw new CheckpointError(`tensor "${name}" has shape ${fmtShape(shape)} (${4 * count} bytes) but ${byteLength} bytes of data`, 'header');
    }
    // Tensors lie back to back in header order: no gaps, no overlaps.
    if (byteOffset !== offset) throw new CheckpointError(`tensor "${name}" starts at data byte ${byteOffset}, expected ${offset}`, 'header');
    if (offset + byteLength > dataBytes) {
      throw new CheckpointError(`tensor "${name}" ends at data byte ${offset + byteLength}, past the ${dataBytes} bytes of data`, 'header');
    }
    offset += byteLength;
    return { name, shape, data: copyFloats(bytes, dataStart + byteOffset, count) };
  };
  const checkpoint: Checkpoint = {
    ...header.checkpoint,
    weights: header.weights.map(read),
    optimizer: header.optimizer && { name: header.optimizer.name, step: header.optimizer.step, slots: header.optimizer.slots.map(read) },
  };
  if (offset !== dataBytes) throw new CheckpointError(`the tensors account for ${offset} of the ${dataBytes} bytes of data`, 'header');
  checkContents(checkpoint);
  if (expect) checkExpectation(checkpoint, expect);
  return checkpoint;
}
