/**
 * The checkpoint format and its writer: plain data, never code. One binary file:
 *
 *   offset 0   8 bytes   magic "LSTMLAB\0"
 *          8   uint32    format version (CHECKPOINT_VERSION)
 *         12   uint32    header length H
 *         16   uint64    data length D
 *         24   H bytes   UTF-8 JSON header: config, vocabulary, metrics, and where each tensor's bytes are
 *     24 + H   D bytes   tensor data, float32 little-endian: the weights, then the optimizer slots
 * 24 + H + D   uint32    CRC-32 of everything before it
 *
 * All integers are little-endian. Both lengths sit in the fixed prefix so a short file is reported
 * as truncated (expected vs found bytes) before anything else is read, and sizes are checked against
 * CHECKPOINT_LIMITS before anything is allocated. The header is only ever given to JSON.parse.
 */
import { UNKNOWN_TOKEN } from './tokens';

export const CHECKPOINT_VERSION = 1;

export const CHECKPOINT_LIMITS = {
  /** The JSON header; the per-step loss history is most of it (about 25 bytes a step). */
  headerBytes: 64 * 2 ** 20,
  fileBytes: 2 ** 30,
  tensorElements: 256 * 2 ** 20,
} as const;

export interface TensorRecord { name: string; shape: number[]; data: Float32Array }

export interface Checkpoint {
  /** The run's model/training configuration (JSON-able). */
  config: Record<string, unknown>;
  /** tokens[0] is the unknown token. */
  vocab: { mode: 'char' | 'word'; tokens: string[] };
  weights: TensorRecord[];
  optimizer: { name: string; step: number; slots: TensorRecord[] } | null;
  /** Losses may be NaN or ±Infinity (a diverged step); they round-trip exactly. */
  metrics: { train: { step: number; loss: number }[]; val: { step: number; loss: number }[] };
  bestValLoss: number | null;
  /** ISO date. */
  createdAt: string;
}

/** What the model about to receive a checkpoint needs from it. */
export interface CheckpointExpectation {
  weights?: { name: string; shape: number[] }[];
  vocabSize?: number;
}

export type CheckpointProblem = 'io' | 'magic' | 'version' | 'truncated' | 'corrupt' | 'header' | 'mismatch' | 'too-large';

export class CheckpointError extends Error {
  constructor(message: string, readonly problem: CheckpointProblem) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export const MAGIC = new Uint8Array([0x4c, 0x53, 0x54, 0x4d, 0x4c, 0x41, 0x42, 0x00]); // "LSTMLAB\0"
export const PREFIX_BYTES = 24;
export const CHECKSUM_BYTES = 4;
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---- CRC-32 (IEEE 802.3, as in zip and PNG) ----

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---- Checks shared by encoding and decoding ----

export const fmtShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Element count of a shape, refusing one too large to allocate before anything is. */
export function elementCount(name: string, shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new CheckpointError(`tensor "${name}" has an invalid shape ${fmtShape(shape)}`, 'header');
    n *= d;
    if (n > CHECKPOINT_LIMITS.tensorElements) {
      throw new CheckpointError(`tensor "${name}" has shape ${fmtShape(shape)}, more than ${CHECKPOINT_LIMITS.tensorElements} values`, 'too-large');
    }
  }
  return n;
}

function checkTensors(kind: string, records: readonly TensorRecord[]): void {
  const seen = new Set<string>();
  for (const { name, shape, data } of records) {
    if (name === '') throw new CheckpointError(`a ${kind} tensor has an empty name`, 'header');
    if (seen.has(name)) throw new CheckpointError(`${kind} tensor "${name}" appears twice`, 'header');
    seen.add(name);
    const n = elementCount(name, shape);
    if (data.length !== n) throw new CheckpointError(`tensor "${name}" has shape ${fmtShape(shape)} (${n} values) but ${data.length} values`, 'header');
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(data[i])) throw new CheckpointError(`tensor "${name}" holds ${data[i]} at index ${i}: weights must be finite`, 'corrupt');
    }
  }
}

function checkVocab(vocab: Checkpoint['vocab']): void {
  const { mode, tokens } = vocab;
  if (tokens[0] !== UNKNOWN_TOKEN) {
    throw new CheckpointError(`the vocabulary must start with the unknown token ${JSON.stringify(UNKNOWN_TOKEN)}, found ${JSON.stringify(tokens[0])}`, 'header');
  }
  const seen = new Set<string>();
  tokens.forEach((t, i) => {
    if (seen.has(t)) throw new CheckpointError(`the vocabulary has token ${JSON.stringify(t)} twice (again at ${i})`, 'header');
    seen.add(t);
    if (t === '') throw new CheckpointError(`vocabulary token ${i} is empty`, 'header');
    if (mode === 'char' && [...t].length !== 1) throw new CheckpointError(`vocabulary token ${i} (${JSON.stringify(t)}) is not one character`, 'header');
  });
}

export const isStep = (s: number) => Number.isSafeInteger(s) && s >= 0;

/** Everything a checkpoint must satisfy beyond its JSON types; run before writing and after reading. */
export function checkContents(c: Checkpoint): void {
  if (Number.isNaN(Date.parse(c.createdAt))) throw new CheckpointError(`createdAt ${JSON.stringify(c.createdAt)} is not an ISO date`, 'header');
  checkVocab(c.vocab);
  checkTensors('weight', c.weights);
  if (c.optimizer) {
    if (!isStep(c.optimizer.step)) throw new CheckpointError(`optimizer step ${c.optimizer.step} is not a whole number ≥ 0`, 'header');
    checkTensors('optimizer slot', c.optimizer.slots);
  }
  for (const kind of ['train', 'val'] as const) {
    const bad = c.metrics[kind].find((p) => !isStep(p.step));
    if (bad) throw new CheckpointError(`metrics.${kind} has step ${bad.step}, not a whole number ≥ 0`, 'header');
  }
}

// ---- Encoding ----

/** NaN and ±Infinity have no JSON number; they are written as the strings "NaN", "Infinity", "-Infinity". */
const lossToJson = (x: number): number | string => (Number.isFinite(x) ? x : String(x));

export function tooLargeTotal(headerBytes: number, dataBytes: number): CheckpointError | null {
  if (headerBytes > CHECKPOINT_LIMITS.headerBytes) {
    return new CheckpointError(`the header is ${headerBytes} bytes, more than the ${CHECKPOINT_LIMITS.headerBytes} allowed`, 'too-large');
  }
  const total = PREFIX_BYTES + headerBytes + dataBytes + CHECKSUM_BYTES;
  if (total > CHECKPOINT_LIMITS.fileBytes) {
    return new CheckpointError(`the checkpoint would be ${total} bytes, more than the ${CHECKPOINT_LIMITS.fileBytes} allowed`, 'too-large');
  }
  return null;
}

/** Serializes a checkpoint; refuses one that decodeCheckpoint would reject (non-finite weights, say). */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  checkContents(c);
  const tensors = [...c.weights, ...(c.optimizer?.slots ?? [])];
  let dataBytes = 0;
  const describe = (t: TensorRecord) => {
    const d = { name: t.name, shape: t.shape.slice(), byteOffset: dataBytes, byteLength: t.data.length * 4 };
    dataBytes += d.byteLength;
    return d;
  };
  const header = {
    createdAt: c.createdAt,
    config: c.config,
    weights: c.weights.map(describe),
    optimizer: c.optimizer && { name: c.optimizer.name, step: c.optimizer.step, slots: c.optimizer.slots.map(describe) },
    bestValLoss: c.bestValLoss === null ? null : lossToJson(c.bestValLoss),
    metrics: {
      train: c.metrics.train.map((p) => [p.step, lossToJson(p.loss)]),
      val: c.metrics.val.map((p) => [p.step, lossToJson(p.loss)]),
    },
    vocab: { mode: c.vocab.mode, tokens: c.vocab.tokens },
  };
  let json: string;
  try {
    json = JSON.stringify(header);
  } catch (e) {
    throw new CheckpointError(`the configuration cannot be written as JSON: ${(e as Error).message}`, 'header');
  }
  const headerBytes = new TextEncoder().encode(json);
  const tooLarge = tooLargeTotal(headerBytes.length, dataBytes);
  if (tooLarge) throw tooLarge;

  const out = new Uint8Array(PREFIX_BYTES + headerBytes.length + dataBytes + CHECKSUM_BYTES);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  view.setBigUint64(16, BigInt(dataBytes), true);
  out.set(headerBytes, PREFIX_BYTES);
  let pos = PREFIX_BYTES + headerBytes.length;
  for (const { data } of tensors) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    else for (let i = 0; i < data.length; i++) view.setFloat32(pos + 4 * i, data[i], true);
    pos += data.byteLength;
  }
  view.setUint32(pos, crc32(out.subarray(0, pos)), true);
  return out;
}
