/** The headless CLI, as a user runs it (the bundled dist/cli.js in a child process). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

const cli = path.join(__dirname, '..', '..', 'cli.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lab-cli-'));
const corpus = path.join(dir, 'corpus.txt');
fs.writeFileSync(corpus, 'Now is the winter of our discontent made glorious summer by this sun of York. '.repeat(60));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function events(out: string): Record<string, unknown>[] {
  return out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('train --json: a step event per step, gradient by lag, validation and a done event', () => {
  const r = run('train', corpus, '--cell', 'gru', '--layers', '2', '--hidden', '16', '--batch', '4', '--seq', '16', '--steps', '12', '--grad-every', '5', '--json');
  assert.equal(r.code, 0, r.err);
  const ev = events(r.out);
  const steps = ev.filter((e) => e.event === 'step');
  assert.deepEqual(steps.map((e) => e.step), Array.from({ length: 12 }, (_, i) => i + 1));
  assert.ok(steps.every((e) => typeof e.loss === 'number' && typeof e.charsPerSec === 'number'));
  const lags = ev.filter((e) => e.event === 'gradByLag');
  assert.deepEqual(lags.map((e) => e.step), [1, 6, 11]);
  assert.equal((lags[0].h as number[]).length, 16);
  assert.deepEqual(lags[0].c, [], 'a GRU has no cell state');
  assert.ok(ev.some((e) => e.event === 'val'));
  const done = ev[ev.length - 1];
  assert.equal(done.event, 'done');
  assert.equal(done.steps, 12);
  assert.ok((done.peakRssMB as number) > 0);
});

test('save, resume, sample and eval a checkpoint', () => {
  const ckpt = path.join(dir, 'model.lstmlab');
  let r = run('train', corpus, '--hidden', '16', '--batch', '4', '--seq', '16', '--steps', '30', '--lr', '0.01', '--save', ckpt);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /saved/);
  r = run('train', corpus, '--resume', ckpt, '--steps', '5', '--save', ckpt, '--json');
  assert.equal(r.code, 0, r.err);
  const ev = events(r.out);
  assert.equal(ev.find((e) => e.event === 'step')!.step, 31, 'resumed at step 31');
  assert.equal(ev[ev.length - 1].steps, 35);
  r = run('sample', ckpt, '--length', '40', '--prime', 'Now is', '--temperature', '0.5', '--seed', '3');
  assert.equal(r.code, 0, r.err);
  assert.ok(r.out.startsWith('Now is') && r.out.trim().length >= 30, r.out);
  const again = run('sample', ckpt, '--length', '40', '--prime', 'Now is', '--temperature', '0.5', '--seed', '3');
  assert.equal(again.out, r.out, 'the same seed samples the same text');
  r = run('eval', ckpt, corpus, '--json');
  assert.equal(r.code, 0, r.err);
  const e = JSON.parse(r.out) as { bitsPerToken: number; loss: number; tokens: number };
  assert.ok(e.bitsPerToken > 0 && e.bitsPerToken < 5, JSON.stringify(e));
  assert.ok(Math.abs(e.loss - e.bitsPerToken * Math.LN2) < 1e-9);
  r = run('train', corpus, '--resume', ckpt, '--cell', 'gru', '--steps', '1');
  assert.equal(r.code, 2);
  assert.match(r.err, /cannot change to gru/);
});

test('a damaged checkpoint is refused with a message naming the problem', () => {
  const ckpt = path.join(dir, 'damaged.lstmlab');
  assert.equal(run('train', corpus, '--hidden', '8', '--batch', '2', '--seq', '8', '--steps', '2', '--save', ckpt).code, 0);
  const bytes = fs.readFileSync(ckpt);
  bytes[bytes.length - 40] ^= 0xff;
  fs.writeFileSync(ckpt, bytes);
  const r = run('sample', ckpt);
  assert.equal(r.code, 1);
  assert.match(r.err, /checksum|corrupt/i);
  fs.writeFileSync(ckpt, bytes.subarray(0, 100));
  assert.match(run('eval', ckpt, corpus).err, /truncated/i);
});

test('bad input: usage errors exit 2, unreadable or unusable files exit 1, all on stderr', () => {
  let r = run('train', corpus, '--cell', 'transformer');
  assert.equal(r.code, 2);
  assert.match(r.err, /--cell must be one of rnn, lstm/);
  r = run('train', corpus, '--hidden', 'lots');
  assert.equal(r.code, 2);
  assert.match(r.err, /--hidden needs a number/);
  r = run('train', path.join(dir, 'missing.txt'));
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot read .*ENOENT/);
  const empty = path.join(dir, 'empty.txt');
  fs.writeFileSync(empty, '');
  r = run('train', empty);
  assert.equal(r.code, 1);
  assert.match(r.err, /empty/);
  assert.equal(r.out, '');
  r = run('frobnicate');
  assert.equal(r.code, 2);
});

test('a run that blows up stops with exit code 3 and a message', () => {
  const r = run('train', corpus, '--cell', 'rnn', '--optimizer', 'sgd', '--lr', '10', '--clip', '0', '--hidden', '16', '--batch', '4', '--seq', '16', '--steps', '50');
  assert.equal(r.code, 3, r.out + r.err);
  assert.match(r.err, /diverged|NaN|infinite/);
});
