/**
 * `lstm-lab profile`: where one training step's time goes, by tfjs kernel, on the reference
 * workload (or any cell).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { findWasmDir, initBackend } from '../engine/backend';
import { CELL_TYPES, DEFAULT_TRAIN_CONFIG } from '../protocol/runConfig';
import { StreamBatcher } from '../engine/data';
import { prepareRun } from '../engine/run';
import { Trainer } from '../engine/trainer';
import { choice, num } from './args';

export const PROFILE_USAGE = 'lstm-lab profile [--corpus FILE] [--cell TYPE] [--steps N]';

export async function profile(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({ args: argv, options: { corpus: { type: 'string' }, cell: { type: 'string' }, steps: { type: 'string' } } });
  const corpus = v.corpus ?? path.join(__dirname, '..', 'samples', 'shakespeare.txt');
  const cell = choice(v.cell, 'cell', CELL_TYPES) ?? 'lstm';
  const steps = num(v.steps, 'steps') ?? 5;
  await initBackend('wasm', findWasmDir(__dirname));
  const config = { ...DEFAULT_TRAIN_CONFIG, cell };
  const run = prepareRun(fs.readFileSync(corpus, 'utf8').slice(0, 2_000_000), config);
  const trainer = new Trainer(run.model, { optimizer: config.optimizer, learningRate: config.learningRate, clipNorm: config.clipNorm, batch: run.batch });
  const batcher = new StreamBatcher(run.train, run.batch, run.steps);
  for (let k = 0; k < 3; k++) trainer.step(batcher.next());
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let wall = 0;
  for (let k = 0; k < steps; k++) {
    const t0 = performance.now();
    const info = await tf.profile(() => { trainer.step(batcher.next()); });
    wall += performance.now() - t0;
    for (const kernel of info.kernels) {
      const e = byKernel.get(kernel.name) ?? { ms: 0, calls: 0 };
      e.ms += Number(kernel.kernelTimeMs) || 0;
      e.calls += 1;
      byKernel.set(kernel.name, e);
    }
  }
  const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.reduce((s, [, e]) => s + e.ms, 0);
  console.log(`${cell}: ${(wall / steps).toFixed(1)} ms per step (profiled), ${(kernelMs / steps).toFixed(1)} ms in kernels, ` +
    `${Math.round(rows.reduce((s, [, e]) => s + e.calls, 0) / steps)} kernel calls per step`);
  for (const [name, e] of rows.slice(0, 15)) {
    console.log(`  ${name.padEnd(22)} ${(e.ms / steps).toFixed(2).padStart(8)} ms  ${String(Math.round(e.calls / steps)).padStart(6)} calls`);
  }
  trainer.dispose();
  run.model.dispose();
}
