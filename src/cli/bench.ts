/**
 * `lstm-lab bench`: tokens/s of the reference workload (one-hot → 128 units → softmax, batch 32,
 * BPTT 64, Adam 2e-3, clip 5), each run in its own process (so each peak RSS is its own). The LSTM
 * on the default (fused) kernels with one and two workers alternates, round by round, with the
 * PyTorch reference on one and two threads when Debian's python3-torch and the reference script
 * are available, so that both see the same machine; ratios are per round. Then, once each: the
 * LSTM on TensorFlow.js kernels (one and two workers), every other cell on both kernels, and hover
 * latency on a 1 MB document.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CELL_TYPES, type CellName, type KernelChoice } from '../protocol/runConfig';
import { num, UsageError } from './args';

export const BENCH_USAGE = 'lstm-lab bench [--corpus FILE] [--seconds N] [--rounds N] [--cells rnn,lstm,…] [--reference reference_torch.py] [--json]';

interface Measured {
  charsPerSec: number;
  peakRssMB: number;
  steps: number;
  trainLoss: number | null;
}

function measure(corpus: string, seconds: number, cell: CellName, workers: number, kernels: KernelChoice = 'fused'): Measured | { error: string } {
  // The reference workload, whatever the defaults are.
  const args = [path.join(__dirname, 'cli.js'), 'train', corpus, '--cell', cell, '--hidden', '128', '--batch', '32', '--seq', '64', '--lr', '2e-3', '--clip', '5',
    '--optimizer', 'adam', '--seconds', String(seconds), '--workers', String(workers), '--kernels', kernels, '--grad-every', '0', '--json'];
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

function runTorch(script: string, corpus: string, seconds: number, threads: number): Record<string, unknown> & { charsPerSec?: number; error?: string } {
  const r = spawnSync('/usr/bin/python3', [script, corpus, '--threads', String(threads), '--seconds', String(seconds)], {
    encoding: 'utf8',
    // One BLAS thread per torch thread, as the reference script asks, so the two do not fight over the cores.
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: String(threads) },
    timeout: (seconds + 180) * 1000,
  });
  const line = r.stdout?.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop() };
  return JSON.parse(line) as Record<string, unknown>;
}

export async function bench(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    options: { corpus: { type: 'string' }, seconds: { type: 'string' }, rounds: { type: 'string' }, cells: { type: 'string' }, reference: { type: 'string' }, json: { type: 'boolean' } },
  });
  const corpus = v.corpus ?? path.join(__dirname, '..', 'samples', 'shakespeare.txt');
  if (!fs.existsSync(corpus)) throw new UsageError(`corpus ${corpus} not found (--corpus FILE)`);
  const seconds = num(v.seconds, 'seconds') ?? 10;
  const rounds = num(v.rounds, 'rounds') ?? 3;
  const cells = (v.cells?.split(',') ?? [...CELL_TYPES]) as CellName[];
  for (const c of cells) if (!CELL_TYPES.includes(c)) throw new UsageError(`unknown cell "${c}"`);
  const log = (s: string) => { if (!v.json) console.error(s); };
  const reference = findReference(v.reference);
  const result: Record<string, unknown> = {
    workload: { corpus: path.basename(corpus), hidden: 128, batch: 32, seq: 64, optimizer: 'adam', lr: 2e-3, clip: 5, seconds, rounds },
  };

  // The headline: our LSTM and PyTorch's, alternating, so that both see the same machine. Per
  // round: one worker against PyTorch on one thread, and two workers against PyTorch's best of
  // one and two threads.
  type Round = {
    lstm: Measured | { error: string }; lstmTwoWorkers: Measured | { error: string };
    pytorch?: ReturnType<typeof runTorch>; pytorch2Threads?: ReturnType<typeof runTorch>;
    ratio?: number | null; ratioTwoWorkersToBest?: number | null;
  };
  const alternating: Round[] = [];
  for (let k = 0; k < rounds; k++) {
    log(`bench: round ${k + 1}/${rounds}: lstm (fused kernels), 1 worker…`);
    const lstm = measure(corpus, seconds, 'lstm', 1);
    const round: Round = { lstm, lstmTwoWorkers: { error: 'not run' } };
    if (reference) {
      log(`bench: round ${k + 1}/${rounds}: PyTorch, 1 thread…`);
      round.pytorch = runTorch(reference, corpus, seconds, 1);
      round.ratio = ratioOf(lstm, round.pytorch);
    }
    log(`bench: round ${k + 1}/${rounds}: lstm (fused kernels), 2 workers…`);
    round.lstmTwoWorkers = measure(corpus, seconds, 'lstm', 2);
    if (reference) {
      log(`bench: round ${k + 1}/${rounds}: PyTorch, 2 threads…`);
      round.pytorch2Threads = runTorch(reference, corpus, seconds, 2);
      const best = Math.max(Number(round.pytorch?.charsPerSec) || 0, Number(round.pytorch2Threads.charsPerSec) || 0);
      round.ratioTwoWorkersToBest = ratioOf(round.lstmTwoWorkers, { charsPerSec: best });
    }
    alternating.push(round);
  }
  result.rounds = alternating;
  const range = (xs: (number | null | undefined)[]) => {
    const ok = xs.filter((r): r is number => typeof r === 'number');
    return ok.length > 0 ? { min: Math.min(...ok), max: Math.max(...ok) } : undefined;
  };
  result.ratioToPytorch1Thread = range(alternating.map((r) => r.ratio));
  result.ratioTwoWorkersToPytorchBest = range(alternating.map((r) => r.ratioTwoWorkersToBest));
  if (!reference) result.pytorch = { error: 'reference_torch.py not found (pass --reference PATH)' };

  log('bench: lstm on TensorFlow.js kernels, 1 and 2 workers…');
  result.lstmTfjs = measure(corpus, seconds, 'lstm', 1, 'tfjs');
  result.lstmTfjsTwoWorkers = measure(corpus, seconds, 'lstm', 2, 'tfjs');
  // Every other cell on both paths, for each one's speed-up.
  result.cells = {} as Record<string, unknown>;
  for (const cell of cells.filter((c) => c !== 'lstm')) {
    log(`bench: ${cell}, fused and TensorFlow.js kernels…`);
    const fused = measure(corpus, seconds, cell, 1);
    const tfjs = measure(corpus, seconds, cell, 1, 'tfjs');
    (result.cells as Record<string, unknown>)[cell] = { fused, tfjs, speedup: 'charsPerSec' in tfjs ? ratioOf(fused, tfjs) : null };
  }
  log('bench: hover latency on a 1 MB document…');
  result.hover = measureHover(corpus);
  console.log(JSON.stringify(result, null, v.json ? undefined : 2));
}

/** ours / PyTorch's chars/s, or null when either run failed. */
function ratioOf(ours: Measured | { error: string }, torch: { charsPerSec?: number }): number | null {
  const base = Number(torch.charsPerSec);
  if (!('charsPerSec' in ours) || !Number.isFinite(base) || base <= 0) return null;
  return +(ours.charsPerSec / base).toFixed(3);
}

/** `bench-hover` in its own process: hover p50/p95 on 1 MB of the corpus. */
function measureHover(corpus: string): unknown {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'cli.js'), 'bench-hover', '--corpus', corpus, '--json'], { encoding: 'utf8', timeout: 600_000, maxBuffer: 16 << 20 });
  const line = r.stdout?.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop() };
  return JSON.parse(line) as unknown;
}
