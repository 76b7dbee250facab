import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type * as EsbuildApi from 'esbuild';
import { CHECKPOINT_LIMITS, CHECKPOINT_VERSION, CheckpointError, crc32, encodeCheckpoint, type Checkpoint, type CheckpointProblem } from '../../src/engine/checkpointFormat';
import { decodeCheckpoint } from '../../src/engine/checkpointReader';
import { loadCheckpoint, saveCheckpoint } from '../../src/engine/checkpoint';
import { UNKNOWN_TOKEN } from '../../src/engine/tokens';

// The file layout, as the format documents it: magic, version, header length, data length, header, data, CRC.
const PREFIX = 24;

function sample(): Checkpoint {
  return {
    config: { cell: 'lstm', layers: 2, hiddenSize: 3, tokens: 'word', learningRate: 2e-3, nested: { list: [1, 'two', null] } },
    vocab: { mode: 'word', tokens: [UNKNOWN_TOKEN, ' ', '\r\n', 'naïve', 'nai\u0308ve', '日本語', '😀', '👨\u200D👩\u200D👧', '\u{10FFFF}', '\uD800'] },
    weights: [
      // Values chosen to catch any rounding: -0, the smallest subnormal, the largest float32, 1/3.
      { name: 'layer0/kernel', shape: [2, 3], data: Float32Array.from([-0, 1.4e-45, 3.4028234663852886e38, 1 / 3, -2.5, 1e-7]) },
      { name: 'layer0/bias', shape: [3], data: Float32Array.from([1, 0, -1]) },
      { name: 'scale', shape: [], data: Float32Array.from([0.5]) },
      { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
    ],
    optimizer: {
      name: 'adam',
      step: 42,
      slots: [
        { name: 'layer0/kernel/m', shape: [2, 3], data: Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) },
        { name: 'layer0/kernel/v', shape: [2, 3], data: Float32Array.from([1e-8, 2e-8, 3e-8, 4e-8, 5e-8, 6e-8]) },
      ],
    },
    metrics: {
      train: [{ step: 1, loss: 4.1 }, { step: 2, loss: 3.9000000000000004 }, { step: 3, loss: NaN }, { step: 4, loss: Infinity }],
      val: [{ step: 2, loss: 3.95 }],
    },
    bestValLoss: 3.95,
    createdAt: '2025-01-02T03:04:05.678Z',
  };
}

const bits = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

function assertSame(actual: Checkpoint, expected: Checkpoint): void {
  const strip = (c: Checkpoint) => ({
    ...c,
    weights: c.weights.map((w) => ({ ...w, data: bits(w.data) })),
    optimizer: c.optimizer && { ...c.optimizer, slots: c.optimizer.slots.map((s) => ({ ...s, data: bits(s.data) })) },
  });
  assert.deepEqual(strip(actual), strip(expected));
}

/** Splits a valid file into its parsed header and its data bytes. */
function parts(bytes: Uint8Array): { header: any; data: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const h = view.getUint32(12, true);
  const d = Number(view.getBigUint64(16, true));
  return {
    header: JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX, PREFIX + h))),
    data: bytes.slice(PREFIX + h, PREFIX + h + d),
  };
}

/** Builds a file around any header and data, with consistent lengths and a valid checksum. */
function forge(header: unknown, data: Uint8Array, version = CHECKPOINT_VERSION): Uint8Array {
  const json = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(PREFIX + json.length + data.length + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('LSTMLAB\0'), 0);
  view.setUint32(8, version, true);
  view.setUint32(12, json.length, true);
  view.setBigUint64(16, BigInt(data.length), true);
  out.set(json, PREFIX);
  out.set(data, PREFIX + json.length);
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/** Re-forges a valid file after `edit` changes its header. */
function withHeader(edit: (h: any) => void): Uint8Array {
  const { header, data } = parts(encodeCheckpoint(sample()));
  edit(header);
  return forge(header, data);
}

function rejects(fn: () => unknown, problem: CheckpointProblem, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `expected a CheckpointError, got ${String(e)}`);
    assert.equal(e.problem, problem, e.message);
    assert.match(e.message, message);
    return true;
  });
}

async function rejectsAsync(p: Promise<unknown>, problem: CheckpointProblem, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `expected a CheckpointError, got ${String(e)}`);
    assert.equal(e.problem, problem, e.message);
    assert.match(e.message, message);
    return true;
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lab-checkpoint-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => fs.mkdtempSync(path.join(tmp, `d${dirs++}-`));

// ---- Round trip ----

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('round trip keeps weights bit-exact, optimizer slots, metrics (NaN and Infinity included) and unicode tokens', () => {
  const c = sample();
  const bytes = encodeCheckpoint(c);
  assertSame(decodeCheckpoint(bytes), c);
  assert.ok(Object.is(decodeCheckpoint(bytes).weights[0].data[0], -0), 'negative zero survives');
});

test('the file starts with the magic and version, and decodes from an unaligned Node buffer as a copy', () => {
  const bytes = encodeCheckpoint(sample());
  assert.equal(Buffer.from(bytes.subarray(0, 8)).toString('latin1'), 'LSTMLAB\0');
  assert.equal(new DataView(bytes.buffer).getUint32(8, true), CHECKPOINT_VERSION);
  const shifted = Buffer.alloc(bytes.length + 3);
  shifted.set(bytes, 3);
  const view = shifted.subarray(3);
  const c = decodeCheckpoint(view);
  assertSame(c, sample());
  view.fill(0);
  assert.deepEqual([...c.weights[1].data], [1, 0, -1], 'decoded tensors do not share the file buffer');
  assert.equal(c.weights[1].data.buffer.byteLength, 12, 'a tensor does not keep the whole file alive');
});

test('no optimizer, empty metrics and a char vocabulary round-trip', () => {
  const c: Checkpoint = { ...sample(), vocab: { mode: 'char', tokens: [UNKNOWN_TOKEN, 'a', '😀', 'e\u0301'.normalize('NFC')] }, optimizer: null, metrics: { train: [], val: [] }, bestValLoss: null };
  assertSame(decodeCheckpoint(encodeCheckpoint(c)), c);
});

// ---- Damaged files ----

test('a 0-byte file is refused as truncated', () => {
  rejects(() => decodeCheckpoint(new Uint8Array(0)), 'truncated', /empty \(0 bytes\)/);
});

test('every truncation is refused, saying how many bytes were expected and found', () => {
  const bytes = encodeCheckpoint(sample());
  for (let n = 1; n < bytes.length; n++) rejects(() => decodeCheckpoint(bytes.subarray(0, n)), 'truncated', /truncated/);
  rejects(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 10)), 'truncated', new RegExp(`needs ${bytes.length} bytes, the file has ${bytes.length - 10}`));
});

test('bytes after the end are refused', () => {
  const bytes = encodeCheckpoint(sample());
  rejects(() => decodeCheckpoint(Buffer.concat([bytes, Buffer.from('xx')])), 'corrupt', /2 unexpected bytes/);
});

test('any corrupted byte in the header, data or checksum is caught', () => {
  const bytes = encodeCheckpoint(sample());
  for (let i = PREFIX; i < bytes.length; i++) {
    const bad = bytes.slice();
    bad[i] ^= 0x10;
    rejects(() => decodeCheckpoint(bad), 'corrupt', /checksum mismatch/);
  }
});

test('a file that is not a checkpoint is refused by its magic', () => {
  rejects(() => decodeCheckpoint(new TextEncoder().encode('the quick brown fox jumps over the lazy dog')), 'magic', /not an LSTM Lab checkpoint/);
  rejects(() => decodeCheckpoint(new TextEncoder().encode('{}')), 'magic', /not an LSTM Lab checkpoint/);
  const bytes = encodeCheckpoint(sample());
  bytes[0] = 0x6c;
  rejects(() => decodeCheckpoint(bytes), 'magic', /LSTMLAB/);
});

test('another format version is refused, naming the version found and the one supported', () => {
  const { header, data } = parts(encodeCheckpoint(sample()));
  rejects(() => decodeCheckpoint(forge(header, data, 2)), 'version', /version 2 \(written by a newer LSTM Lab\) is not supported.*reads version 1/);
  rejects(() => decodeCheckpoint(forge(header, data, 0)), 'version', /version 0 is not supported/);
});

test('huge declared sizes are refused before anything is allocated', () => {
  const prefix = (headerLength: number, dataLength: bigint) => {
    const b = new Uint8Array(PREFIX);
    b.set(new TextEncoder().encode('LSTMLAB\0'));
    const v = new DataView(b.buffer);
    v.setUint32(8, 1, true);
    v.setUint32(12, headerLength, true);
    v.setBigUint64(16, dataLength, true);
    return b;
  };
  rejects(() => decodeCheckpoint(prefix(0xffffffff, 0n)), 'too-large', /header is 4294967295 bytes/);
  rejects(() => decodeCheckpoint(prefix(100, 2n ** 62n)), 'too-large', /4611686018427387904 bytes of tensor data/);
  rejects(() => decodeCheckpoint(prefix(100, BigInt(CHECKPOINT_LIMITS.fileBytes - 100))), 'too-large', /would be \d+ bytes/);
  // A tensor's shape alone cannot make the decoder allocate.
  rejects(() => decodeCheckpoint(withHeader((h) => { h.weights[0].shape = [2 ** 20, 2 ** 20]; })), 'too-large', /"layer0\/kernel".*more than/);
});

/** Runs `fn` and returns the length of the largest Float32Array it created (the decoder's only tensor allocation). */
function largestFloat32Array(fn: () => void): number {
  const original = globalThis.Float32Array;
  let largest = 0;
  globalThis.Float32Array = new Proxy(original, {
    construct(target, args, newTarget) {
      if (typeof args[0] === 'number') largest = Math.max(largest, args[0]);
      return Reflect.construct(target, args, newTarget);
    },
  });
  try {
    fn();
  } finally {
    globalThis.Float32Array = original;
  }
  return largest;
}

test('a header claiming 10^12 floats is refused at once, by name, without allocating them', () => {
  const bytes = encodeCheckpoint(sample());
  // The probe sees what decoding allocates: the largest tensor of a valid file has 6 values.
  assert.equal(largestFloat32Array(() => decodeCheckpoint(bytes)), 6);
  const claims: [string, (h: any) => void, CheckpointProblem, RegExp][] = [
    ['10^12 values in two dimensions', (h) => { h.weights[0].shape = [1e6, 1e6]; h.weights[0].byteLength = 4e12; },
      'too-large', /tensor "layer0\/kernel" has shape \[1000000, 1000000\], more than 268435456 values/],
    ['10^12 values in three dimensions', (h) => { h.optimizer.slots[1].shape = [1e4, 1e4, 1e4]; h.optimizer.slots[1].byteLength = 4e12; },
      'too-large', /tensor "layer0\/kernel\/v" has shape \[10000, 10000, 10000\], more than 268435456 values/],
    // Under the per-tensor limit, but not in the file: refused by the data the file has.
    ['2·10^8 values, 800 MB the file does not have', (h) => { h.weights[0].shape = [2e8]; h.weights[0].byteLength = 8e8; },
      'header', /tensor "layer0\/kernel" ends at data byte 800000000, past the 88 bytes of data/],
    ['a shape that disagrees with its byte length', (h) => { h.weights[0].shape = [1e8]; },
      'header', /tensor "layer0\/kernel" has shape \[100000000\] \(400000000 bytes\) but 24 bytes of data/],
  ];
  for (const [what, edit, problem, message] of claims) {
    const file = withHeader(edit);
    const started = performance.now();
    const largest = largestFloat32Array(() => rejects(() => decodeCheckpoint(file), problem, message));
    const ms = performance.now() - started;
    assert.ok(largest <= file.length / 4, `${what}: allocated a Float32Array of ${largest} values for a ${file.length}-byte file`);
    assert.ok(ms < 1000, `${what}: took ${ms.toFixed(0)} ms`);
  }
});

/** Deterministic bytes (xorshift32). */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

test('random bytes are refused with a CheckpointError that says why, with or without a valid beginning', () => {
  const valid = encodeCheckpoint(sample());
  for (const [n, seed] of [[1, 1], [7, 2], [24, 3], [100, 4], [4096, 5], [valid.length, 6], [1 << 20, 7]]) {
    rejects(() => decodeCheckpoint(randomBytes(n, seed)), 'magic', /not an LSTM Lab checkpoint/);
    // The magic and version intact, the rest random: the lengths in the prefix are nonsense.
    const prefixed = randomBytes(Math.max(n, 12), seed);
    prefixed.set(valid.subarray(0, 12));
    largestFloat32Array(() => assert.throws(() => decodeCheckpoint(prefixed), (e: unknown) => {
      assert.ok(e instanceof CheckpointError, `${n} bytes: ${String(e)}`);
      assert.match(e.message, /truncated|more than the \d+ allowed|unexpected bytes after its end|checksum mismatch/);
      return true;
    }));
    // A valid file whose header and data were overwritten with random bytes: the checksum catches it.
    const overwritten = valid.slice();
    overwritten.set(randomBytes(valid.length - PREFIX - 4, seed), PREFIX);
    rejects(() => decodeCheckpoint(overwritten), 'corrupt', /the checkpoint is corrupted: checksum mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)/);
  }
});

test('a checkpoint of the wrong version is refused before its header is read', () => {
  // Version 2 with a header this version could not parse at all.
  rejects(() => decodeCheckpoint(forge('not json', new Uint8Array(0), 2)), 'version', /^checkpoint format version 2 \(written by a newer LSTM Lab\) is not supported: this LSTM Lab reads version 1$/);
  rejects(() => decodeCheckpoint(forge({}, new Uint8Array(0), 0xffffffff)), 'version', /version 4294967295 \(written by a newer LSTM Lab\)/);
});

// ---- Header problems ----

test('a header that is not JSON, or not an object, is refused', () => {
  rejects(() => decodeCheckpoint(forge('{"config": {', new Uint8Array(0))), 'header', /not valid UTF-8 JSON/);
  rejects(() => decodeCheckpoint(forge(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), new Uint8Array(0))), 'header', /not valid UTF-8 JSON/);
  rejects(() => decodeCheckpoint(forge('[1, 2]', new Uint8Array(0))), 'header', /"header" must be an object/);
});

test('missing or ill-typed header fields are named', () => {
  const cases: [(h: any) => void, RegExp][] = [
    [(h) => { delete h.vocab; }, /"vocab" must be an object, found nothing/],
    [(h) => { h.vocab.mode = 'byte'; }, /"vocab.mode" must be "char" or "word", found "byte"/],
    [(h) => { h.vocab.tokens[3] = 7; }, /"vocab.tokens\[3\]" must be a string, found 7/],
    [(h) => { h.config = [1]; }, /"config" must be an object/],
    [(h) => { h.weights[1].shape = [3, -1]; }, /"weights\[1\].shape\[1\]" must be a whole number/],
    [(h) => { h.weights[0].name = null; }, /"weights\[0\].name" must be a string, found null/],
    [(h) => { h.optimizer.step = 'many'; }, /"optimizer.step" must be a whole number/],
    [(h) => { h.optimizer.slots = {}; }, /"optimizer.slots" must be an array/],
    [(h) => { h.metrics.train[1] = [2]; }, /"metrics.train\[1\]" must be a \[step, loss\] pair/],
    [(h) => { h.metrics.val[0][1] = 'low'; }, /"metrics.val\[0\]\[1\]" must be a number, found "low"/],
    [(h) => { h.bestValLoss = {}; }, /"bestValLoss" must be a number/],
    [(h) => { h.createdAt = 'yesterday'; }, /createdAt "yesterday" is not an ISO date/],
  ];
  for (const [edit, message] of cases) rejects(() => decodeCheckpoint(withHeader(edit)), 'header', message);
});

test('header values nested too deeply to print, or huge, are still refused with a short message', () => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const { header, data } = parts(encodeCheckpoint(sample()));
  const json = JSON.stringify(header);
  for (const [field, message] of [['createdAt', /"createdAt" must be a string, found an array of 1$/], ['vocab', /"vocab" must be an object, found an array of 1$/]] as const) {
    const text = json.replace(`"${field}":`, `"${field}":${deep},"was-${field}":`);
    rejects(() => decodeCheckpoint(forge(text, data)), 'header', message);
  }
  rejects(() => decodeCheckpoint(withHeader((h) => { h.vocab.mode = 'x'.repeat(2 ** 20); })), 'header', /^header field "vocab.mode" must be "char" or "word", found "x{40}…"$/);
});

test('prototype keys in the header are plain data: nothing is polluted and the checkpoint decodes', () => {
  const { header, data } = parts(encodeCheckpoint(sample()));
  const text = JSON.stringify(header)
    .replace('{', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},')
    .replace('"config":{', '"config":{"__proto__":{"cell":"gru","polluted":true},');
  const c = decodeCheckpoint(forge(text, data));
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
  assert.equal(Object.getPrototypeOf(c.config), Object.prototype);
  assert.equal(c.config.cell, 'lstm', 'the own "cell" is read, not one from a "__proto__" key');
  assertSame({ ...c, config: sample().config }, sample());
});

test('a tensor whose shape does not match its bytes, or that is out of place, is refused by name', () => {
  rejects(() => decodeCheckpoint(withHeader((h) => { h.weights[1].shape = [4]; })), 'header', /"layer0\/bias" has shape \[4\] \(16 bytes\) but 12 bytes/);
  rejects(() => decodeCheckpoint(withHeader((h) => { h.weights[1].byteOffset += 4; })), 'header', /"layer0\/bias" starts at data byte 28, expected 24/);
  rejects(() => decodeCheckpoint(withHeader((h) => { h.optimizer.slots.pop(); })), 'header', /account for 64 of the 88 bytes/);
  rejects(() => decodeCheckpoint(withHeader((h) => { h.weights.push({ name: 'extra', shape: [100], byteOffset: 40, byteLength: 400 }); })), 'header', /past the 88 bytes/);
  rejects(() => decodeCheckpoint(withHeader((h) => { h.weights[1].name = 'scale'; })), 'header', /"scale" appears twice/);
});

test('non-finite weights or optimizer slots are refused', () => {
  const bytes = encodeCheckpoint(sample());
  const headerLength = new DataView(bytes.buffer).getUint32(12, true);
  // The kernel's bytes start at data byte 0, its first optimizer slot's at 40.
  for (const [start, index, value, name] of [[0, 1, NaN, 'layer0\\/kernel'], [40, 2, -Infinity, 'layer0\\/kernel\\/m']] as const) {
    const bad = bytes.slice();
    new DataView(bad.buffer).setFloat32(PREFIX + headerLength + start + 4 * index, value, true);
    new DataView(bad.buffer).setUint32(bad.length - 4, crc32(bad.subarray(0, bad.length - 4)), true);
    rejects(() => decodeCheckpoint(bad), 'corrupt', new RegExp(`"${name}" holds ${value} at index ${index}`));
  }
});

test('a vocabulary without the unknown token first, with duplicates or bad tokens is refused', () => {
  rejects(() => decodeCheckpoint(withHeader((h) => { h.vocab.tokens.shift(); })), 'header', /must start with the unknown token/);
  rejects(() => decodeCheckpoint(withHeader((h) => { h.vocab.tokens.push('naïve'); })), 'header', /"naïve" twice \(again at 10\)/);
  rejects(() => decodeCheckpoint(withHeader((h) => { h.vocab.tokens.push(UNKNOWN_TOKEN); })), 'header', /twice/);
  rejects(() => decodeCheckpoint(withHeader((h) => { h.vocab.tokens.push(''); })), 'header', /token 10 is empty/);
  rejects(() => decodeCheckpoint(withHeader((h) => { h.vocab.mode = 'char'; })), 'header', /token 2 \("\\r\\n"\) is not one character/);
});

// ---- What the model expects ----

test('expected weights and vocabulary size are checked, naming the weight and both shapes', () => {
  const bytes = encodeCheckpoint(sample());
  const expected = sample().weights.map((w) => ({ name: w.name, shape: w.shape }));
  assertSame(decodeCheckpoint(bytes, { weights: expected, vocabSize: 10 }), sample());
  const swap = expected.map((w) => (w.name === 'layer0/kernel' ? { ...w, shape: [3, 2] } : w));
  rejects(() => decodeCheckpoint(bytes, { weights: swap }), 'mismatch', /"layer0\/kernel" has shape \[2, 3\] in the checkpoint, the model expects \[3, 2\]/);
  rejects(() => decodeCheckpoint(bytes, { weights: [...expected, { name: 'layer1/kernel', shape: [3, 3] }] }), 'mismatch', /no weight "layer1\/kernel" \(expected shape \[3, 3\]\)/);
  rejects(() => decodeCheckpoint(bytes, { weights: expected.slice(1) }), 'mismatch', /weight "layer0\/kernel" that the model does not/);
  rejects(() => decodeCheckpoint(bytes, { vocabSize: 65 }), 'mismatch', /vocabulary has 10 tokens, the model expects 65/);
});

// ---- Encoding refuses what decoding would refuse ----

test('encoding refuses non-finite weights, mismatched lengths, bad vocabularies and steps', () => {
  const nan = sample();
  nan.weights[1].data[2] = NaN;
  rejects(() => encodeCheckpoint(nan), 'corrupt', /"layer0\/bias" holds NaN at index 2/);
  const short = sample();
  short.weights[0].data = new Float32Array(5);
  rejects(() => encodeCheckpoint(short), 'header', /shape \[2, 3\] \(6 values\) but 5 values/);
  const dup = sample();
  dup.vocab.tokens.push(' ');
  rejects(() => encodeCheckpoint(dup), 'header', /twice/);
  const step = sample();
  step.metrics.train[0].step = 1.5;
  rejects(() => encodeCheckpoint(step), 'header', /metrics.train has step 1.5/);
  const huge = sample();
  huge.weights[0].shape = [2 ** 30];
  rejects(() => encodeCheckpoint(huge), 'too-large', /more than/);
});

// ---- Files ----

test('save then load round-trips, overwrites, and leaves only the checkpoint', async () => {
  const dir = freshDir();
  const file = path.join(dir, 'run.ckpt');
  await saveCheckpoint(file, sample());
  assertSame(await loadCheckpoint(file), sample());
  const next = { ...sample(), bestValLoss: 1.25 };
  await saveCheckpoint(file, next);
  assertSame(await loadCheckpoint(file, { vocabSize: 10 }), next);
  assert.deepEqual(fs.readdirSync(dir), ['run.ckpt']);
});

test('a save that fails at the rename leaves the previous checkpoint and no temporary file', async () => {
  const dir = freshDir();
  const file = path.join(dir, 'run.ckpt');
  await saveCheckpoint(file, sample());
  let temp = '';
  const failing = saveCheckpoint(file, { ...sample(), bestValLoss: 0 }, {
    rename: async (from) => { temp = from; throw new Error('simulated crash before rename'); },
  });
  await rejectsAsync(failing, 'io', /could not save .*run\.ckpt: simulated crash before rename/);
  assert.equal(path.dirname(temp), dir, 'the temporary file was next to the target');
  assertSame(await loadCheckpoint(file), sample());
  assert.deepEqual(fs.readdirSync(dir), ['run.ckpt']);
});

test('a save that fails half-way through writing leaves the previous checkpoint and no temporary file', async () => {
  const dir = freshDir();
  const file = path.join(dir, 'run.ckpt');
  await saveCheckpoint(file, sample());
  const failing = saveCheckpoint(file, { ...sample(), bestValLoss: 0 }, {
    write: async (handle, b) => {
      await handle.write(b.subarray(0, b.length >> 1));
      throw new Error('simulated disk full');
    },
  });
  await rejectsAsync(failing, 'io', /simulated disk full/);
  assertSame(await loadCheckpoint(file), sample());
  assert.deepEqual(fs.readdirSync(dir), ['run.ckpt']);
});

/** src/shared/atomicFile.ts bundled on its own, for a process that saves and is killed. */
function checkpointModuleFile(dir: string): string {
  const repo = path.resolve(__dirname, '..', '..', '..');
  const esbuild = createRequire(path.join(repo, 'package.json'))('esbuild') as typeof EsbuildApi;
  const outfile = path.join(dir, 'checkpoint.js');
  esbuild.buildSync({ entryPoints: [path.join(repo, 'src/shared/atomicFile.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'silent' });
  return outfile;
}

/** A process that saves `source` over `target` and stops half-way through writing, until it is killed. */
const HALF_WRITE = `
const { writeFileAtomic } = require(process.argv[2]);
const bytes = require('node:fs').readFileSync(process.argv[4]);
writeFileAtomic(process.argv[3], bytes, {
  write: async (file, b) => {
    await file.write(b, 0, b.length >> 1);
    await file.sync();
    process.send('half-written');
    // Stay mid-write until killed: a timer keeps the process alive (a pending promise alone does not).
    setInterval(() => {}, 1 << 30);
    await new Promise(() => {});
  },
}).catch((e) => { process.send('failed: ' + e.message); });
`;

test('a process killed half-way through saving leaves the previous checkpoint intact and loadable', async () => {
  const work = freshDir();
  const dir = freshDir();
  const file = path.join(dir, 'run.ckpt');
  await saveCheckpoint(file, sample());
  const before = fs.readFileSync(file);
  const next = { ...sample(), bestValLoss: 0.5 };
  const source = path.join(work, 'next.bytes');
  fs.writeFileSync(source, encodeCheckpoint(next));
  const script = path.join(work, 'half-write.js');
  fs.writeFileSync(script, HALF_WRITE);

  const child = fork(script, [checkpointModuleFile(work), file, source], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const said = await new Promise<unknown>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the saving process exited (${code}) before writing`)));
  });
  assert.equal(said, 'half-written');
  // Mid-write: the new bytes are in a temporary file next to the checkpoint, which is untouched.
  const temps = fs.readdirSync(dir).filter((f) => f !== 'run.ckpt');
  assert.equal(temps.length, 1, `one temporary file: ${temps.join(', ')}`);
  assert.match(temps[0], new RegExp(`^\\.run\\.ckpt\\.${child.pid}-[0-9a-f]{8}\\.tmp$`));
  assert.equal(fs.statSync(path.join(dir, temps[0])).size, fs.statSync(source).size >> 1);
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');

  assert.deepEqual(fs.readFileSync(file), before, 'the checkpoint file is byte for byte the previous one');
  assertSame(await loadCheckpoint(file), sample());
  // The half-written temporary file is what a crash leaves; it is not a checkpoint.
  await rejectsAsync(loadCheckpoint(path.join(dir, temps[0])), 'truncated', /truncated/);
  // The next save succeeds and clears what the killed one left behind.
  await saveCheckpoint(file, next);
  assertSame(await loadCheckpoint(file), next);
  assert.deepEqual(fs.readdirSync(dir), ['run.ckpt']);
});

test('a save keeps temporary files of saves still in progress in other processes', async () => {
  const dir = freshDir();
  const file = path.join(dir, 'run.ckpt');
  // The parent of this process is alive; a pid that cannot exist is not.
  const live = path.join(dir, `.run.ckpt.${process.ppid}-0123abcd.tmp`);
  const dead = path.join(dir, `.run.ckpt.${2 ** 30 + 7}-0123abcd.tmp`);
  const other = path.join(dir, `.other.ckpt.${2 ** 30 + 7}-0123abcd.tmp`);
  for (const f of [live, dead, other]) fs.writeFileSync(f, 'partial');
  await saveCheckpoint(file, sample());
  assert.deepEqual(fs.readdirSync(dir).sort(), [path.basename(other), path.basename(live), 'run.ckpt'].sort());
});

test('saving where the rename cannot succeed or into a missing folder fails cleanly', async () => {
  const dir = freshDir();
  const blocker = path.join(dir, 'run.ckpt');
  fs.mkdirSync(path.join(blocker, 'inside'), { recursive: true }); // a non-empty directory cannot be replaced by a file
  await rejectsAsync(saveCheckpoint(blocker, sample()), 'io', /could not save/);
  assert.deepEqual(fs.readdirSync(dir), ['run.ckpt']);
  await rejectsAsync(saveCheckpoint(path.join(dir, 'missing', 'run.ckpt'), sample()), 'io', /could not save/);
});

test('loading names the file and the problem', async () => {
  const dir = freshDir();
  const missing = path.join(dir, 'nope.ckpt');
  await rejectsAsync(loadCheckpoint(missing), 'io', /could not read .*nope\.ckpt/);
  const empty = path.join(dir, 'empty.ckpt');
  fs.writeFileSync(empty, '');
  await rejectsAsync(loadCheckpoint(empty), 'truncated', /empty\.ckpt: the file is empty/);
  const file = path.join(dir, 'run.ckpt');
  await saveCheckpoint(file, sample());
  await rejectsAsync(loadCheckpoint(file, { vocabSize: 3 }), 'mismatch', /run\.ckpt: .*10 tokens/);
});

test('a file larger than the limit is refused without reading it', async () => {
  const huge = path.join(freshDir(), 'huge.ckpt');
  fs.writeFileSync(huge, encodeCheckpoint(sample()));
  fs.truncateSync(huge, CHECKPOINT_LIMITS.fileBytes + 1); // sparse: takes no disk space
  const before = process.memoryUsage().arrayBuffers;
  await rejectsAsync(loadCheckpoint(huge), 'too-large', new RegExp(`${CHECKPOINT_LIMITS.fileBytes + 1} bytes`));
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 2 ** 20, 'the file was not read into memory');
});
