/** Chooses the trainer for a run: one thread, or data-parallel over `config.workers` threads. */
import type { PreparedRun } from '../run';
import { Trainer } from '../trainer';
import type { TrainConfig } from '../../protocol/runConfig';
import { FusedTrainer, fusedUnsupported } from '../fused/fusedTrainer';
import { FusedParallelTrainer, fusedSplitProblem } from '../fused/fusedParallel';
import { copyOptimizerState } from '../snapshot';
import { ParallelTrainer } from './parallelTrainer';

export interface ShardSetup {
  /** The bundled shard worker script (dist/shardWorker.js). */
  shardScript: string;
  wasmDir: string;
}

/**
 * A trainer for `run`: the fused kernels' where they cover the model (and `config.kernels` asks
 * for them), else tfjs, data-parallel with more than one worker (and enough streams). A resumed
 * trainer's optimizer state is carried over. `note` hears, in a sentence, what was chosen and why.
 */
export async function startTrainer(run: PreparedRun, config: TrainConfig, shards: ShardSetup, resumed?: Trainer, note: (message: string) => void = () => undefined): Promise<Trainer> {
  const options = { optimizer: config.optimizer, learningRate: config.learningRate, clipNorm: config.clipNorm, batch: run.batch };
  const parts = Math.min(config.workers, run.batch);
  if (config.kernels === 'fused') {
    const unsupported = fusedUnsupported(config, run.batch);
    if (unsupported) {
      note(`Training with TensorFlow.js: the fused kernels do not cover ${unsupported} yet.`);
    } else {
      const split = parts > 1 ? fusedSplitProblem(run.batch, parts) : null;
      let fused: FusedTrainer | undefined;
      try {
        fused = parts > 1 && !split
          ? await FusedParallelTrainer.createParallel(run.model, options, run.steps, parts, shards.shardScript, shards.wasmDir)
          : await FusedTrainer.create(run.model, options, run.steps, shards.wasmDir);
      } catch (e) {
        note(`Training with TensorFlow.js: the fused kernels could not start (${e instanceof Error ? e.message : String(e)}).`);
      }
      if (fused) {
        if (resumed) {
          await copyOptimizerState(resumed, fused);
          resumed.dispose();
        }
        const threads = fused instanceof FusedParallelTrainer ? `, data-parallel on ${fused.parts} threads` : split ? `, on one thread (${split})` : '';
        note(`Training with the fused WebAssembly kernels (${fused.variant === 'relaxed' ? 'relaxed SIMD' : 'SIMD'})${threads}.`);
        return fused;
      }
    }
  }
  if (parts <= 1) return resumed ?? new Trainer(run.model, options);
  const trainer = await ParallelTrainer.create(run.model, options, parts, shards.shardScript, shards.wasmDir);
  if (resumed) {
    await copyOptimizerState(resumed, trainer);
    resumed.dispose();
  }
  return trainer;
}
