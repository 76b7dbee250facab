// A small sweep of learning rate, batch and BPTT length for the default model (LSTM 1×128 on the
// default kernels): each setting trains for the same wall-clock budget on each text, one run at a
// time, and the sweep prints the validation loss each reached, as a Markdown table and as JSON.
//
//   npm run build && node bench/sweep.mjs [--seconds 20] [--lr 2e-3,5e-3,1e-2] [--batch 16,32]
//                                          [--seq 32,64] [--out FILE.json] TEXT…
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const { values: v, positionals: texts } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: 'string' }, lr: { type: 'string' }, batch: { type: 'string' }, seq: { type: 'string' }, out: { type: 'string' } },
});
if (texts.length === 0) {
  console.error('usage: node bench/sweep.mjs [--seconds N] [--lr a,b] [--batch a,b] [--seq a,b] [--out FILE] TEXT…');
  process.exit(2);
}
const list = (s, fallback) => (s ?? fallback).split(',').map(Number);
const seconds = Number(v.seconds ?? 20);
const grid = [];
for (const lr of list(v.lr, '2e-3,5e-3,1e-2')) for (const batch of list(v.batch, '16,32')) for (const seq of list(v.seq, '32,64')) grid.push({ lr, batch, seq });

/** One run: the last validation loss it reported (validation every 25 steps and at the end). */
function train(text, { lr, batch, seq }) {
  const args = [cli, 'train', text, '--seconds', String(seconds), '--lr', String(lr), '--batch', String(batch), '--seq', String(seq), '--grad-every', '0', '--json'];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const events = (r.stdout ?? '').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const done = events.find((e) => e.event === 'done');
  if (r.status !== 0 || !done) return { error: (r.stderr || `exit ${r.status}`).trim().split('\n').pop() };
  return { valLoss: done.valLoss, trainLoss: done.trainLoss, steps: done.steps, charsPerSec: done.charsPerSec };
}

const results = [];
for (const text of texts) {
  for (const g of grid) {
    const r = train(text, g);
    results.push({ text: basename(text), ...g, ...r });
    console.error(`${basename(text)} lr ${g.lr} batch ${g.batch} seq ${g.seq}: ${r.error ?? `val ${r.valLoss?.toFixed(3)} after ${r.steps} steps`}`);
  }
}
const names = texts.map((t) => basename(t));
console.log(`| lr | batch | BPTT | ${names.join(' | ')} | mean |`);
console.log(`|---|---|---|${names.map(() => '---|').join('')}---|`);
for (const g of grid) {
  const row = names.map((n) => results.find((r) => r.text === n && r.lr === g.lr && r.batch === g.batch && r.seq === g.seq)?.valLoss);
  const mean = row.every((x) => typeof x === 'number') ? (row.reduce((a, b) => a + b, 0) / row.length).toFixed(3) : 'n/a';
  console.log(`| ${g.lr} | ${g.batch} | ${g.seq} | ${row.map((x) => (typeof x === 'number' ? x.toFixed(3) : 'n/a')).join(' | ')} | ${mean} |`);
}
if (v.out) writeFileSync(v.out, JSON.stringify({ seconds, results }, null, 1));
