/** `--workers N`: data-parallel training with shard workers on the other cores. */
import { findBundle, findWasmDir } from '../engine/backend';
import { ParallelTrainer } from '../engine/parallel/parallelTrainer';
import { trainLoop, type PreparedRun, type RunHooks, type RunStart } from '../engine/run';
import type { TrainConfig } from '../protocol/workerProtocol';

export async function trainParallel(run: PreparedRun, config: TrainConfig, workers: number, hooks: RunHooks, start: RunStart) {
  const parts = Math.min(workers, run.batch);
  const trainer = await ParallelTrainer.create(run.model, { optimizer: config.optimizer, learningRate: config.learningRate, clipNorm: config.clipNorm, batch: run.batch },
    parts, findBundle(__dirname, 'shardWorker.js'), findWasmDir(__dirname));
  if (start.trainer) {
    // Carry the resumed optimizer state over.
    await trainer.optimizer.setWeights(await start.trainer.optimizer.getWeights());
    start.trainer.dispose();
  }
  return trainLoop(run, config, hooks, { step: start.step, trainer });
}
