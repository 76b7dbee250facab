/** Chooses the trainer for a run: one thread, or data-parallel over `config.workers` threads. */
import type { PreparedRun } from '../run';
import { Trainer } from '../trainer';
import type { TrainConfig } from '../../protocol/runConfig';
import { copyOptimizerState } from '../snapshot';
import { ParallelTrainer } from './parallelTrainer';

export interface ShardSetup {
  /** The bundled shard worker script (dist/shardWorker.js). */
  shardScript: string;
  wasmDir: string;
}

/**
 * A trainer for `run`; with more than one worker (and enough streams) a data-parallel one. A
 * resumed trainer's optimizer state is carried over.
 */
export async function startTrainer(run: PreparedRun, config: TrainConfig, shards: ShardSetup, resumed?: Trainer): Promise<Trainer> {
  const options = { optimizer: config.optimizer, learningRate: config.learningRate, clipNorm: config.clipNorm, batch: run.batch };
  const parts = Math.min(config.workers, run.batch);
  if (parts <= 1) return resumed ?? new Trainer(run.model, options);
  const trainer = await ParallelTrainer.create(run.model, options, parts, shards.shardScript, shards.wasmDir);
  if (resumed) {
    await copyOptimizerState(resumed, trainer);
    resumed.dispose();
  }
  return trainer;
}
