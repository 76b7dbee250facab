// Export for PyTorch (docs/export.md): every cell's export, run by numpy from the file and its
// metadata alone (PyTorch's own equations for the rnn.* tensors), gives the engine's next-token
// probabilities; the safetensors bytes are laid out as the format says; bad input is refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { CELL_TYPES, DEFAULT_TRAIN_CONFIG, type CellName } from '../../src/protocol/runConfig';
import { saveCheckpoint } from '../../src/engine/checkpoint';
import { type Checkpoint } from '../../src/engine/checkpointFormat';
import { codecFromTokens } from '../../src/engine/codec';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../../src/engine/export/safetensors';
import { ExportError, torchExport } from '../../src/engine/export/torchLayout';
import { nextDistribution } from '../../src/engine/infer';
import { SequenceModel } from '../../src/engine/model';
import { captureCheckpoint } from '../../src/engine/snapshot';
import { UNKNOWN_TOKEN } from '../../src/engine/tokens';
import { findBundle, findWasmDir } from '../../src/engine/backend';
import type { ExportTorchResult, WorkerToHost } from '../../src/protocol/workerProtocol';
import { EngineService } from '../../src/worker/engineService';
import { maxAbsDiff, randomArray, useWasm } from './helpers/backend';
import { findPython, numpyPython } from './helpers/python';

before(useWasm);

const dist = path.join(__dirname, '..', '..');
const cli = path.join(dist, 'cli.js');
const scripts = path.join(dist, '..', 'scripts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lab-export-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(exe: string, ...args: string[]) {
  const r = spawnSync(exe, args, { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// Characters outside the BMP and with accents, so that tokens are code points on both sides.
const TOKENS = [UNKNOWN_TOKEN, ' ', 'a', 'b', 'c', 'd', 'e', 'é', 'x', '😀', '.'];
const TEXT = 'abé 😀cab.e dx'; // 13 tokens
const H = 5;

/** A two-layer model of `cell` with every weight random (biases too), as a checkpoint. */
async function randomCheckpoint(cell: CellName, seed: number): Promise<{ ckpt: Checkpoint; engineProbs: Float32Array[]; ids: Int32Array }> {
  const codec = codecFromTokens('char', TOKENS);
  const config = { ...DEFAULT_TRAIN_CONFIG, cell, layers: 2, hiddenSize: H, dropout: 0 };
  const model = SequenceModel.create({ cell, layers: 2, hiddenSize: H, vocabSize: codec.vocab.size, dropout: 0 }, seed);
  model.named.forEach(({ variable }, k) => {
    const t = tf.tensor(randomArray(variable.size, seed * 100 + k + 1, 0.9), variable.shape);
    variable.assign(t);
    t.dispose();
  });
  const ids = codec.encode(TEXT);
  // The engine's own next-token distributions after each prefix, each from a zero state.
  const engineProbs = Array.from(ids, (_, t) => nextDistribution(model, ids.subarray(0, t + 1)));
  const ckpt = await captureCheckpoint({ model, codec, config, step: 7, metrics: { train: [], val: [] }, bestValLoss: null });
  model.dispose();
  return { ckpt, engineProbs, ids };
}

/** Saves the checkpoint and exports it with the CLI; returns the export's path. */
async function exportWithCli(ckpt: Checkpoint, name: string): Promise<string> {
  const file = path.join(tmp, `${name}.ckpt`);
  await saveCheckpoint(file, ckpt);
  const r = run(process.execPath, cli, 'export', file, '--format', 'safetensors');
  assert.equal(r.code, 0, r.err);
  const out = path.join(tmp, `${name}.safetensors`);
  assert.ok(fs.existsSync(out), 'the default --out is the checkpoint with .safetensors');
  return out;
}

interface PythonProbs { ids: number[]; cell: string; torch_module: string; probs: number[][] }

function pythonProbs(exe: string, file: string, ...args: string[]): PythonProbs {
  const r = run(exe, path.join(scripts, 'lstm_lab_numpy.py'), file, '--probs', ...args);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as PythonProbs;
}

const TORCH_MODULE: Record<CellName, string> = { lstm: 'LSTM', rnn: 'RNN', gru: 'none', noforget: 'none', cifg: 'none', peephole: 'none' };

for (const [n, cell] of CELL_TYPES.entries()) {
  test(`${cell}: numpy on the export alone gives the engine's next-token probabilities`, async () => {
    const python = numpyPython();
    const { ckpt, engineProbs, ids } = await randomCheckpoint(cell, 11 + n);
    const file = await exportWithCli(ckpt, cell);
    // The text goes through the export's own vocabulary (metadata), not ids handed over.
    const got = pythonProbs(python, file, '--prime', TEXT);
    assert.deepEqual(got.ids, [...ids], 'python encodes the text with the exported vocabulary');
    assert.equal(got.torch_module, TORCH_MODULE[cell]);
    assert.equal(got.probs.length, ids.length);
    let worst = 0;
    got.probs.forEach((p, t) => { worst = Math.max(worst, maxAbsDiff(p, engineProbs[t])); });
    assert.ok(worst < 1e-5, `${cell}: max |p_numpy − p_engine| = ${worst}`);
    // Not a vacuous match: the distributions are far from uniform and change along the text.
    assert.ok(maxAbsDiff(engineProbs[0], engineProbs[ids.length - 1]) > 1e-2);
  });
}

test('tensor names and shapes are those of torch.nn.LSTM / nn.RNN state dicts; the others say so', async () => {
  const V = TOKENS.length;
  const names = (f: ReturnType<typeof torchExport>) => f.tensors.map((t) => `${t.name} ${t.shape.join('x')}`);
  const torchNames = (G: number) => [0, 1].flatMap((l) => [
    `rnn.weight_ih_l${l} ${G * H}x${l === 0 ? V : H}`, `rnn.weight_hh_l${l} ${G * H}x${H}`, `rnn.bias_ih_l${l} ${G * H}`, `rnn.bias_hh_l${l} ${G * H}`,
  ]);
  const decoder = [`decoder.weight ${V}x${H}`, `decoder.bias ${V}`];
  const lstm = torchExport((await randomCheckpoint('lstm', 1)).ckpt);
  assert.deepEqual(names(lstm), [...torchNames(4), ...decoder]);
  assert.equal(lstm.metadata.gate_order, 'i,f,g,o');
  const rnn = torchExport((await randomCheckpoint('rnn', 2)).ckpt);
  assert.deepEqual(names(rnn), [...torchNames(1), ...decoder]);
  assert.equal(rnn.metadata.nonlinearity, 'tanh');
  const peephole = torchExport((await randomCheckpoint('peephole', 3)).ckpt);
  assert.deepEqual(names(peephole), [0, 1].flatMap((l) => [
    `cell.weight_ih_l${l} ${4 * H}x${l === 0 ? V : H}`, `cell.weight_hh_l${l} ${4 * H}x${H}`, `cell.bias_l${l} ${4 * H}`, `cell.weight_peephole_l${l} 3x${H}`,
  ]).concat(decoder));
  assert.equal(peephole.metadata.torch_module, 'none');
  const gru = torchExport((await randomCheckpoint('gru', 4)).ckpt);
  assert.equal(gru.metadata.gate_order, 'r,z,n');
  assert.match(gru.metadata.equations, /U_n \(r\*h\)/);
  const meta = lstm.metadata;
  assert.deepEqual(JSON.parse(meta.vocab), { mode: 'char', tokens: TOKENS });
  assert.equal(JSON.parse(meta.config).cell, 'lstm');
  assert.deepEqual([meta.num_layers, meta.hidden_size, meta.vocab_size, meta.input, meta.format, meta.format_version], ['2', String(H), String(V), 'one_hot', 'lstm-lab-torch', '1']);
});

test('the GRU is exported as itself: nn.GRU\'s equations on the nearest nn.GRU weights give other probabilities', async () => {
  const python = numpyPython();
  const { ckpt, engineProbs } = await randomCheckpoint('gru', 21);
  const file = await exportWithCli(ckpt, 'gru-as-nn-gru');
  const asNnGru = pythonProbs(python, file, '--prime', TEXT, '--as-nn-gru');
  let worst = 0;
  asNnGru.probs.forEach((p, t) => { worst = Math.max(worst, maxAbsDiff(p, engineProbs[t])); });
  assert.ok(worst > 1e-3, `nn.GRU applies its reset gate elsewhere, so it cannot match (max diff ${worst})`);
});

test('with torch installed, every export loads with load_state_dict(strict=True) and matches numpy (and nn.GRU its numpy equations)', async (t) => {
  const python = findPython('numpy', 'torch');
  if (!python) return t.skip('no python3 with torch (the numpy tests above check the layout)');
  for (const cell of CELL_TYPES) {
    const file = await exportWithCli((await randomCheckpoint(cell, 31)).ckpt, `torch-${cell}`);
    const r = run(python, path.join(scripts, 'lstm_lab_torch.py'), file, '--check', '--prime', TEXT);
    assert.equal(r.code, 0, `${cell}: ${r.out}${r.err}`);
    assert.ok((JSON.parse(r.out) as { max_abs_diff: number }).max_abs_diff < 1e-5, r.out);
  }
});

test('safetensors bytes: length prefix, space-padded 8-byte-aligned header, contiguous offsets, LE floats', () => {
  const tensors = [
    { name: 'a', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1 / 3, -0, 1e-30]) },
    { name: 'empty', shape: [0], data: new Float32Array(0) },
    { name: 'b', shape: [1], data: Float32Array.from([7]) },
  ];
  const metadata = { vocab: JSON.stringify(['\uFFFD', 'é', '😀', '"']), n: '3' };
  const bytes = encodeSafetensors({ tensors, metadata });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const n = Number(view.getBigUint64(0, true));
  assert.equal(n % 8, 0, 'the data starts 8-byte aligned');
  const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  assert.match(headerText, /^\{.*\} *$/s);
  const padding = n - new TextEncoder().encode(headerText.trimEnd()).length;
  assert.ok(padding < 8, `${padding} spaces of padding: at most 7`);
  const header = JSON.parse(headerText) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }> & { __metadata__: unknown };
  assert.deepEqual(header.__metadata__, metadata);
  assert.deepEqual(header.a, { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
  assert.deepEqual(header.empty.data_offsets, [24, 24]);
  assert.deepEqual(header.b.data_offsets, [24, 28]);
  assert.equal(bytes.length, 8 + n + 28);
  assert.equal(view.getFloat32(8 + n + 8, true), 3.5);
  assert.equal(view.getFloat32(8 + n + 24, true), 7);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, metadata);
  assert.deepEqual(back.tensors.map((t) => [t.name, t.shape, [...t.data]]), tensors.map((t) => [t.name, t.shape, [...t.data]]));

  // The reader refuses what the format forbids.
  const forged = (h: object, dataBytes: number) => {
    const json = new TextEncoder().encode(JSON.stringify(h));
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    return out;
  };
  const f32 = (a: number, b: number, shape = [(b - a) / 4]) => ({ dtype: 'F32', shape, data_offsets: [a, b] });
  assert.throws(() => decodeSafetensors(forged({ x: f32(4, 8) }, 8)), /starts at byte 4, expected 0/);
  assert.throws(() => decodeSafetensors(forged({ x: f32(0, 8), y: f32(4, 8) }, 8)), /starts at byte 4, expected 8/);
  assert.throws(() => decodeSafetensors(forged({ x: f32(0, 4) }, 8)), /cover 4 of 8/);
  assert.throws(() => decodeSafetensors(forged({ x: f32(0, 8) }, 4)), /ends at byte 8 of 4/);
  assert.throws(() => decodeSafetensors(forged({ x: f32(0, 8, [3]) }, 8)), /spans 8 bytes for 3 values/);
  assert.throws(() => decodeSafetensors(bytes.subarray(0, 20)), SafetensorsError);
  assert.throws(() => encodeSafetensors({ tensors: [{ name: '__metadata__', shape: [0], data: new Float32Array(0) }], metadata: {} }), /taken/);
});

test('an exported file is a valid safetensors file holding exactly the layout\'s tensors', async () => {
  const { ckpt } = await randomCheckpoint('cifg', 41);
  const file = await exportWithCli(ckpt, 'bytes-cifg');
  const bytes = new Uint8Array(fs.readFileSync(file));
  assert.equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0);
  const read = decodeSafetensors(bytes);
  const expected = torchExport(ckpt);
  assert.deepEqual(read.metadata, expected.metadata);
  assert.deepEqual(read.tensors.map((t) => [t.name, t.shape, [...t.data]]), expected.tensors.map((t) => [t.name, t.shape, [...t.data]]));
});

test('the CLI refuses a missing or corrupted checkpoint and an unknown format; the language-model layout refuses a seq2seq model', async () => {
  let r = run(process.execPath, cli, 'export', path.join(tmp, 'missing.ckpt'), '--format', 'safetensors');
  assert.equal(r.code, 1);
  assert.match(r.err, /could not read .*missing\.ckpt/);
  const { ckpt } = await randomCheckpoint('lstm', 51);
  const good = path.join(tmp, 'good.ckpt');
  await saveCheckpoint(good, ckpt);
  const bytes = fs.readFileSync(good);
  bytes[bytes.length - 40] ^= 0xff;
  const damaged = path.join(tmp, 'damaged.ckpt');
  fs.writeFileSync(damaged, bytes);
  r = run(process.execPath, cli, 'export', damaged, '--format', 'safetensors');
  assert.equal(r.code, 1);
  assert.match(r.err, /damaged\.ckpt: the checkpoint is corrupted: checksum mismatch/);
  assert.ok(!fs.existsSync(path.join(tmp, 'damaged.safetensors')), 'nothing is written');
  r = run(process.execPath, cli, 'export', good, '--format', 'onnx');
  assert.equal(r.code, 2);
  assert.match(r.err, /--format must be one of safetensors, got "onnx"/);
  r = run(process.execPath, cli, 'export', good);
  assert.equal(r.code, 2);
  assert.match(r.err, /export needs --format/);
  r = run(process.execPath, cli, 'export', good, '--format', 'safetensors', '--out', good);
  assert.equal(r.code, 2);
  assert.match(r.err, /is the checkpoint itself/);
  r = run(process.execPath, cli, 'export', good, '--format', 'safetensors', '--out', path.join(tmp, 'custom.st'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /exported .*custom\.st .*torch\.nn\.LSTM/);

  assert.throws(() => torchExport({ ...ckpt, config: { ...ckpt.config, kind: 'seq2seq' } }), (e: Error) =>
    e instanceof ExportError && /sequence-to-sequence model/.test(e.message));
  const misfit = { ...ckpt, weights: ckpt.weights.map((w) => (w.name === 'out.b' ? { ...w, shape: [w.shape[0] - 1], data: w.data.subarray(1) } : w)) };
  assert.throws(() => torchExport(misfit), /weight "out\.b" has shape \[10\] but .* needs \[11\]/);
});


test('the engine worker exports a stored checkpoint for the editor\'s command, and answers a bad one with the reason', async () => {
  const { ckpt } = await randomCheckpoint('rnn', 61);
  const source = path.join(tmp, 'host.ckpt');
  await saveCheckpoint(source, ckpt);
  const out = path.join(tmp, 'host export.safetensors');
  const events: WorkerToHost[] = [];
  const service = new EngineService((m) => events.push(m), async () => 'wasm', { trainingScript: findBundle(__dirname, 'trainingWorker.js'), wasmDir: findWasmDir(__dirname) });
  const reply = (id: number) => events.find((e) => e.type === 'reply' && e.id === id) as { ok: boolean; result?: unknown; error?: string } | undefined;
  try {
    await service.handle({ type: 'exportTorch', id: 1, path: source, outPath: out });
    assert.equal(reply(1)?.ok, true, JSON.stringify(reply(1)));
    const result = reply(1)!.result as ExportTorchResult;
    const written = decodeSafetensors(new Uint8Array(fs.readFileSync(out)));
    assert.deepEqual(written.metadata, torchExport(ckpt).metadata);
    assert.equal(result.bytes, fs.statSync(out).size);
    assert.deepEqual([result.cell, result.torchModule, result.tensors], ['rnn', 'RNN', written.tensors.length]);
    fs.writeFileSync(source, 'not a checkpoint');
    await service.handle({ type: 'exportTorch', id: 2, path: source, outPath: out });
    assert.equal(reply(2)?.ok, false);
    assert.match(reply(2)!.error ?? '', /not an LSTM Lab checkpoint/);
  } finally {
    await service.dispose();
  }
});
