/**
 * `lstm-lab bench`: tokens/s of the reference workload (one-hot → 128 units → softmax, batch 32,
 * BPTT 64, Adam 2e-3, clip 5) for every cell type, with one and two workers for the LSTM, each in
 * its own process (so each peak RSS is its own), and — when Debian's python3-torch and the PyTorch
 * reference script are available — the same LSTM workload in PyTorch, for a ratio. Then hover
 * latency on a 1 MB document (`bench-hover`).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CELL_TYPES, type CellName } from '../protocol/runConfig';
import { num, UsageError } from './args';

export const BENCH_USAGE = 'lstm-lab bench [--corpus FILE] [--seconds N] [--cells rnn,lstm,…] [--reference reference_torch.py] [--json]';

interface Measured {
  charsPerSec: number;
  peakRssMB: number;
  steps: number;
  trainLoss: number | null;
}

function measure(corpus: string, seconds: number, cell: CellName, workers: number): Measured | { error: string } {
  const args = [path.join(__dirname, 'cli.js'), 'train', corpus, '--cell', cell, '--seconds', String(seconds), '--workers', String(workers), '--grad-every', '0', '--json'];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: (seconds + 180) * 1000, maxBuffer: 64 << 20 });
  const done = r.stdout?.split('\n').filter((l) => l.startsWith('{"event":"done"')).pop();
  if (r.status !== 0 || !done) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop()! };
  const d = JSON.parse(done) as Measured;
  return { charsPerSec: d.charsPerSec, peakRssMB: d.peakRssMB, steps: d.steps, trainLoss: d.trainLoss };
}

function findReference(given?: string): string | undefined {
  const candidates = given ? [given] : [path.resolve('..', 'shared', 'bench', 'reference_torch.py')];
  return candidates.find((p) => fs.existsSync(p));
}

function runTorch(script: string, corpus: string, seconds: number): Record<string, unknown> & { charsPerSec?: number; error?: string } {
  const r = spawnSync('/usr/bin/python3', [script, corpus, '--threads', '1', '--seconds', String(seconds)], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
    timeout: (seconds + 180) * 1000,
  });
  const line = r.stdout?.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop() };
  return JSON.parse(line) as Record<string, unknown>;
}

export async function bench(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({ args: argv, options: { corpus: { type: 'string' }, seconds: { type: 'string' }, cells: { type: 'string' }, reference: { type: 'string' }, json: { type: 'boolean' } } });
  const corpus = v.corpus ?? path.join(__dirname, '..', 'samples', 'shakespeare.txt');
  if (!fs.existsSync(corpus)) throw new UsageError(`corpus ${corpus} not found (--corpus FILE)`);
  const seconds = num(v.seconds, 'seconds') ?? 10;
  const cells = (v.cells?.split(',') ?? [...CELL_TYPES]) as CellName[];
  for (const c of cells) if (!CELL_TYPES.includes(c)) throw new UsageError(`unknown cell "${c}"`);
  const log = (s: string) => { if (!v.json) console.error(s); };
  const result: Record<string, unknown> = {
    workload: { corpus: path.basename(corpus), hidden: 128, batch: 32, seq: 64, optimizer: 'adam', lr: 2e-3, clip: 5, seconds },
    cells: {} as Record<string, unknown>,
  };
  for (const cell of cells) {
    log(`bench: ${cell}…`);
    (result.cells as Record<string, unknown>)[cell] = measure(corpus, seconds, cell, 1);
  }
  log('bench: lstm with 2 workers…');
  const parallel = measure(corpus, seconds, 'lstm', 2);
  result.lstmTwoWorkers = parallel;
  const reference = findReference(v.reference);
  if (reference) {
    log('bench: PyTorch reference…');
    const torch = runTorch(reference, corpus, seconds);
    result.pytorch = torch;
    const base = Number(torch.charsPerSec);
    if (Number.isFinite(base) && base > 0) {
      const ratio = (m: unknown) => (m && typeof m === 'object' && 'charsPerSec' in m ? +((m as Measured).charsPerSec / base).toFixed(3) : null);
      result.ratioToPytorch = { lstm: ratio((result.cells as Record<string, unknown>).lstm), lstmTwoWorkers: ratio(parallel) };
    }
  } else {
    result.pytorch = { error: 'reference_torch.py not found (pass --reference PATH)' };
  }
  log('bench: hover latency on a 1 MB document…');
  result.hover = measureHover(corpus);
  console.log(JSON.stringify(result, null, v.json ? undefined : 2));
}

/** `bench-hover` in its own process: hover p50/p95 on 1 MB of the corpus. */
function measureHover(corpus: string): unknown {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'cli.js'), 'bench-hover', '--corpus', corpus, '--json'], { encoding: 'utf8', timeout: 600_000, maxBuffer: 16 << 20 });
  const line = r.stdout?.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop() };
  return JSON.parse(line) as unknown;
}
