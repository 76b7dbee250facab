// Export of sequence-to-sequence models for PyTorch (docs/export.md, "Sequence to sequence"): for
// each cell, with each attention, one and two layers, one and both directions, numpy on the file
// and its metadata alone decodes a source as the engine does, token by token, with the same
// probabilities and attention; the tensors have torch.nn's names and shapes.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { findWasmDir } from '../../src/engine/backend';
import { saveCheckpoint } from '../../src/engine/checkpoint';
import { seq2seqTorchExport } from '../../src/engine/export/seq2seqLayout';
import { ExportError } from '../../src/engine/export/torchLayout';
import type { AttentionKind } from '../../src/engine/seq2seq/model';
import { prepareSeq2Seq, SEQ2SEQ_DEFAULTS, seq2seqCheckpoint, Seq2SeqTrainer, type Seq2SeqOptions } from '../../src/engine/seq2seq/trainer';
import type { CellName } from '../../src/protocol/runConfig';
import { sampleText } from '../../src/shared/seq2seqSamples';
import { maxAbsDiff, randomArray, useWasm } from './helpers/backend';
import { findPython, numpyPython } from './helpers/python';

before(useWasm);

const dist = path.join(__dirname, '..', '..');
const cli = path.join(dist, 'cli.js');
const script = path.join(dist, '..', 'scripts', 'lstm_lab_seq2seq_numpy.py');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lab-export-s2s-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Exports a checkpoint of `t` with the CLI; returns the export's path. */
async function exportWithCli(t: Seq2SeqTrainer, name: string): Promise<string> {
  const file = path.join(tmp, `${name}.ckpt`);
  await saveCheckpoint(file, seq2seqCheckpoint(t, { train: [], val: [] }));
  const r = spawnSync(process.execPath, [cli, 'export', file, '--format', 'safetensors'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /encoder–decoder, attention/);
  return path.join(tmp, `${name}.safetensors`);
}

const TEXT = sampleText('reverse', 60, 4);
const SOURCE = 'stressed';
const H = 8;

/** A model of these options with every weight random (biases too), trained on nothing. */
async function randomModel(o: Partial<Seq2SeqOptions>, seed: number) {
  const options: Seq2SeqOptions = { ...SEQ2SEQ_DEFAULTS, hidden: H, batchSize: 8, ...o };
  const t = await Seq2SeqTrainer.create(prepareSeq2Seq(TEXT, options), options, findWasmDir(__dirname));
  t.model.params.forEach((p, k) => t.model.values(p).set(randomArray(p.n, seed * 100 + k + 1, 0.9)));
  return t;
}

const CASES: { cell: CellName; layers: number; attention: AttentionKind; bidirectional: boolean }[] = [
  { cell: 'lstm', layers: 1, attention: 'dot', bidirectional: false },
  { cell: 'lstm', layers: 2, attention: 'additive', bidirectional: true },
  { cell: 'gru', layers: 2, attention: 'additive', bidirectional: true },
  { cell: 'rnn', layers: 2, attention: 'dot', bidirectional: true },
  { cell: 'peephole', layers: 1, attention: 'none', bidirectional: false },
  { cell: 'cifg', layers: 1, attention: 'additive', bidirectional: false },
  { cell: 'noforget', layers: 2, attention: 'dot', bidirectional: false },
];

for (const [n, c] of CASES.entries()) {
  const name = `${c.cell} ${c.layers}×${H}, attention ${c.attention}${c.bidirectional ? ', bidirectional' : ''}`;
  test(`${name}: numpy on the export alone decodes a source as the engine does`, async () => {
    const exe = numpyPython();
    const t = await randomModel(c, 7 + n);
    const file = await exportWithCli(t, `s2s-${n}`);
    const mine = t.translate(SOURCE, 1);
    const r = spawnSync(exe, [script, file, '--translate', SOURCE, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const theirs = JSON.parse(r.stdout) as { source_ids: number[]; ids: number[]; text: string; probs: number[]; attention: number[][] };
    assert.deepEqual(theirs.source_ids, [...t.data.codec.source(SOURCE)], 'python reads the source with the exported vocabulary');
    assert.deepEqual(theirs.ids, mine.ids, `numpy wrote ${JSON.stringify(theirs.text)}, the engine ${JSON.stringify(mine.text)}`);
    assert.equal(theirs.text, mine.text);
    if (n === 0) {
      // The scripts refuse what the engine refuses: a source longer than the model reads; and the
      // language-model script points a seq2seq export to its own.
      const long = spawnSync(exe, [script, file, '--translate', 'a'.repeat(t.model.maxSource + 1)], { encoding: 'utf8' });
      assert.notEqual(long.status, 0);
      assert.match(long.stderr, /this model reads at most \d+/);
      const lm = spawnSync(exe, [path.join(dist, '..', 'scripts', 'lstm_lab_numpy.py'), file, '--probs', '--prime', 'ab'], { encoding: 'utf8' });
      assert.match(lm.stderr, /a sequence-to-sequence export; lstm_lab_seq2seq_numpy\.py runs it/);
    }
    assert.ok(maxAbsDiff(theirs.probs, mine.probs) < 1e-4, `max |p_numpy − p_engine| = ${maxAbsDiff(theirs.probs, mine.probs)}`);
    assert.equal(theirs.attention.length, c.attention === 'none' ? 0 : mine.ids.length);
    theirs.attention.forEach((row, k) => assert.ok(maxAbsDiff(row, mine.attention[k]) < 1e-4, `attention of token ${k}`));
    // Not a vacuous match: several tokens written, with probabilities that differ.
    assert.ok(mine.ids.length >= 3 && new Set(mine.probs.map((p) => p.toFixed(3))).size >= 3, `${mine.ids.length} tokens: ${mine.probs.join(', ')}`);

  });
}

test('a seq2seq export has torch.nn names and shapes, and says how to run it', async () => {
  const t = await randomModel({ cell: 'lstm', layers: 2, attention: 'additive', bidirectional: true }, 40);
  const V = t.data.codec.vocab.size;
  const file = seq2seqTorchExport(seq2seqCheckpoint(t, { train: [], val: [] }));
  const stack = (prefix: string) => [0, 1].flatMap((l) => [
    `${prefix}.weight_ih_l${l} ${4 * H}x${l === 0 ? V : H}`, `${prefix}.weight_hh_l${l} ${4 * H}x${H}`, `${prefix}.bias_ih_l${l} ${4 * H}`, `${prefix}.bias_hh_l${l} ${4 * H}`,
  ]);
  assert.deepEqual(file.tensors.map((x) => `${x.name} ${x.shape.join('x')}`), [
    ...stack('encoder'), ...stack('encoder_reverse'), ...stack('decoder'),
    `attention.key.weight ${H}x${2 * H}`, `attention.query.weight ${H}x${H}`, `attention.v.weight 1x${H}`,
    `combine.weight ${H}x${3 * H}`, `combine.bias ${H}`, `out.weight ${V}x${H}`, `out.bias ${V}`,
  ]);
  const m = file.metadata;
  assert.deepEqual([m.model, m.torch_module, m.attention, m.bidirectional, m.bos_token_id, m.eos_token_id], ['seq2seq', 'LSTM', 'additive', 'true', '2', '3']);
  const tokens = (JSON.parse(m.vocab) as { tokens: string[] }).tokens;
  assert.deepEqual(tokens.slice(0, 4), t.data.codec.vocab.tokens.slice(0, 4), 'the markers have their ids in the exported vocabulary');
  assert.equal(tokens.length, V);
  // A checkpoint whose weights do not fit its settings is refused with the weight named.
  const ckpt = seq2seqCheckpoint(t, { train: [], val: [] });
  const misfit = { ...ckpt, weights: ckpt.weights.filter((w) => w.name !== 'att.v') };
  assert.throws(() => seq2seqTorchExport(misfit), (e: Error) => e instanceof ExportError && /no weight "att\.v"/.test(e.message));
  assert.throws(() => seq2seqTorchExport({ ...ckpt, config: { ...ckpt.config, maxSource: undefined } }), /no valid source and target lengths/);

});

test('with torch installed, every kind of export loads with load_state_dict(strict=True), decodes as numpy does, and trains on', async (t) => {
  const exe = findPython('numpy', 'torch');
  if (!exe) {
    t.skip('no python3 with torch (the numpy tests above check the layout)');
    return;
  }
  const torchScript = path.join(dist, '..', 'scripts', 'lstm_lab_seq2seq_torch.py');
  for (const [n, c] of CASES.entries()) {
    const file = await exportWithCli(await randomModel(c, 70 + n), `torch-${n}`);
    const r: SpawnSyncReturns<string> = spawnSync(exe, [torchScript, file, '--check', '--translate', SOURCE, '--device', 'cpu'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${c.cell}, attention ${c.attention}: ${r.stdout}${r.stderr}`);
    const got = JSON.parse(r.stdout) as { same_ids: boolean; max_abs_diff: number };
    assert.ok(got.same_ids && got.max_abs_diff < 1e-5, r.stdout);
  }
  // Training on in PyTorch from the file alone: the loss falls, and the saved file reads back.
  const pairs = path.join(tmp, 'pairs.txt');
  fs.writeFileSync(pairs, TEXT);
  const file = await exportWithCli(await randomModel({ cell: 'lstm', attention: 'dot', hidden: 32 }, 90), 'torch-train');
  const tuned = path.join(tmp, 'tuned.safetensors');
  const r = spawnSync(exe, [torchScript, file, '--train', pairs, '--steps', '150', '--batch', '16', '--save', tuned, '--device', 'cpu'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const { first_loss: first, last_loss: last } = JSON.parse(/\{"first_loss".*\}/.exec(r.stderr)![0]) as { first_loss: number; last_loss: number };
  assert.ok(last < 0.7 * first, `loss ${first} → ${last} over 150 steps`);
  const back = spawnSync(exe, [torchScript, tuned, '--check', '--translate', SOURCE, '--device', 'cpu'], { encoding: 'utf8' });
  assert.equal(back.status, 0, `${back.stdout}${back.stderr}`);
});
