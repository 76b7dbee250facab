/**
 * `lstm-lab bench`: chars/s of the reference workload (one-hot → LSTM 128 → softmax, batch 32,
 * BPTT 64, Adam 2e-3, clip 5) on a corpus, peak RSS, and — when Debian's python3-torch and the
 * PyTorch reference script are available — the same workload in PyTorch for a ratio.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findWasmDir, initBackend } from '../engine/backend';
import { DEFAULT_TRAIN_CONFIG } from '../engine/defaults';
import { prepareRun, trainLoop } from '../engine/run';
import { checkTrainingText } from '../engine/textCheck';

export interface BenchOptions {
  corpus: string;
  seconds: number;
  reference?: string;
}

interface TorchResult {
  charsPerSec: number;
  raw: unknown;
}

export async function bench(o: BenchOptions): Promise<object> {
  const check = checkTrainingText(fs.readFileSync(o.corpus, 'utf8'), 5_000_000);
  if (!check.ok) throw new Error(`${o.corpus}: ${check.reason}`);
  const info = await initBackend('wasm', findWasmDir(__dirname));
  const config = { ...DEFAULT_TRAIN_CONFIG, maxSeconds: o.seconds, maxSteps: 0, valEvery: 1e6, sampleEvery: 0 };
  const run = prepareRun(check.text, config);
  // Warm up (first steps compile and allocate), then measure a fresh loop.
  await trainLoop(run, { ...config, maxSeconds: 0, maxSteps: 3 });
  const summary = await trainLoop(run, config);
  run.model.dispose();
  const result: Record<string, unknown> = {
    workload: { corpus: path.basename(o.corpus), hidden: 128, batch: 32, seq: 64, lr: 2e-3, clip: 5, seconds: o.seconds },
    backend: `${info.name}${info.simd ? ' (simd)' : ''}`,
    lstm: { charsPerSec: Math.round(summary.charsPerSec), steps: summary.steps, trainLoss: summary.trainLoss },
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  const reference = findReference(o.reference);
  if (reference) {
    const torch = runTorch(reference, o.corpus, o.seconds);
    if ('error' in torch) result.pytorch = { error: torch.error };
    else {
      result.pytorch = torch.raw;
      result.ratioToPytorch = +(summary.charsPerSec / torch.charsPerSec).toFixed(3);
    }
  } else {
    result.pytorch = { error: 'reference_torch.py not found (pass --reference PATH)' };
  }
  return result;
}

function findReference(given?: string): string | undefined {
  const candidates = given ? [given] : [path.resolve('..', 'shared', 'bench', 'reference_torch.py')];
  return candidates.find((p) => fs.existsSync(p));
}

function runTorch(script: string, corpus: string, seconds: number): TorchResult | { error: string } {
  const r = spawnSync('/usr/bin/python3', [script, corpus, '--threads', '1', '--seconds', String(seconds)], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
    timeout: (seconds + 120) * 1000,
  });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-1)[0] };
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) return { error: 'no JSON from the reference' };
  const raw = JSON.parse(line) as Record<string, unknown>;
  const cps = Number(raw.chars_per_sec ?? raw.charsPerSec);
  if (!Number.isFinite(cps) || cps <= 0) return { error: `no chars/s in ${line.slice(0, 200)}` };
  return { charsPerSec: cps, raw };
}
