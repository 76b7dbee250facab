/**
 * Checkpoint files: plain data, never code. One binary file:
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
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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

const MAGIC = new Uint8Array([0x4c, 0x53, 0x54, 0x4d, 0x4c, 0x41, 0x42, 0x00]); // "LSTMLAB\0"
const PREFIX_BYTES = 24;
const CHECKSUM_BYTES = 4;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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

const fmtShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Element count of a shape, refusing one too large to allocate before anything is. */
function elementCount(name: string, shape: readonly number[]): number {
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

const isStep = (s: number) => Number.isSafeInteger(s) && s >= 0;

/** Everything a checkpoint must satisfy beyond its JSON types; run before writing and after reading. */
function checkContents(c: Checkpoint): void {
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

function tooLargeTotal(headerBytes: number, dataBytes: number): CheckpointError | null {
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

// ---- Decoding ----

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

// ---- Files ----

/** The steps of an atomic write that can fail part-way; tests replace them to simulate a crash. */
export interface AtomicWriteSteps {
  write(file: FileHandle, bytes: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

const realSteps: AtomicWriteSteps = {
  write: async (file, bytes) => { await file.writeFile(bytes); },
  rename,
};

function ioError(action: string, path: string, e: unknown): CheckpointError {
  return new CheckpointError(`could not ${action} ${path}: ${(e as Error).message}`, 'io');
}

/**
 * Writes bytes to a temporary file next to `path`, flushes it to disk, then renames it over `path`,
 * so `path` holds either the old contents or the new ones, never a mix. On failure the temporary
 * file is removed and `path` is untouched.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, steps: Partial<AtomicWriteSteps> = {}): Promise<void> {
  const { write, rename: move } = { ...realSteps, ...steps };
  const dir = dirname(path);
  const temp = join(dir, tempName(basename(path), process.pid, randomBytes(4).toString('hex')));
  let file: FileHandle | undefined;
  let created = false;
  try {
    file = await open(temp, 'wx');
    created = true;
    await write(file, bytes);
    await file.sync();
    await file.close();
    file = undefined;
    await move(temp, path);
  } catch (e) {
    await file?.close().catch(() => undefined);
    if (created) await unlink(temp).catch(() => undefined);
    throw ioError('save', path, e);
  }
  // Makes the rename itself durable; directories cannot be opened for this on every platform.
  try {
    const d = await open(dir, 'r');
    await d.sync().finally(() => d.close());
  } catch {
    // The file is in place either way.
  }
  await removeStaleTemps(dir, basename(path));
}

/** `.NAME.PID-RANDOM.tmp`: hidden, next to NAME, and naming the process that writes it. */
function tempName(name: string, pid: number, random: string): string {
  return `.${name}.${pid}-${random}.tmp`;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files that saves of `name` left behind when their process died mid-write
 * (a crash, a kill). Files of processes still running may be saves in progress and are kept.
 */
async function removeStaleTemps(dir: string, name: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  const prefix = `.${name}.`;
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const m = /^(\d+)-[0-9a-f]{8}\.tmp$/.exec(entry.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isRunning(pid)) continue;
    await unlink(join(dir, entry)).catch(() => undefined);
  }
}

export async function saveCheckpoint(path: string, c: Checkpoint): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(c));
}

/** Reads and validates a checkpoint; the file's size is checked before it is read. */
export async function loadCheckpoint(path: string, expect?: CheckpointExpectation): Promise<Checkpoint> {
  let bytes: Uint8Array;
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    const { size } = await file.stat();
    if (size > CHECKPOINT_LIMITS.fileBytes) {
      throw new CheckpointError(`${path}: the file is ${size} bytes, more than the ${CHECKPOINT_LIMITS.fileBytes} a checkpoint may have`, 'too-large');
    }
    bytes = await file.readFile();
  } catch (e) {
    throw e instanceof CheckpointError ? e : ioError('read', path, e);
  } finally {
    await file?.close().catch(() => undefined);
  }
  try {
    return decodeCheckpoint(bytes, expect);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(`${path}: ${e.message}`, e.problem);
    throw e;
  }
}
