/**
 * The training thread's work: one run at a time (fresh or resumed), its loop, the checkpoints
 * written between steps (periodic and asked for), and what the engine thread hears about it: the
 * run's events for the host and the weights after steps. Kept free of worker_threads so that tests
 * can drive it directly; trainingMain.ts connects it to the thread's port.
 */
import { loadCheckpoint, saveCheckpoint } from '../engine/checkpoint';
import { startTrainer, type ShardSetup } from '../engine/parallel/startTrainer';
import { resumeRun } from '../engine/resume';
import { prepareRun, trainLoop, type PreparedRun } from '../engine/run';
import { captureCheckpoint, type RunMetrics } from '../engine/snapshot';
import type { Trainer } from '../engine/trainer';
import { errorMessage } from '../protocol/messages';
import type { TrainConfig } from '../protocol/runConfig';
import type { StepPoint, TrainRequest } from '../protocol/workerProtocol';
import { bestCheckpointPath } from '../shared/checkpointPaths';
import { WEIGHTS_EVERY_MS, type FromTrainer, type ToTrainer, type WeightsMessage } from './trainingMessages';

/**
 * How often step points are flushed to the host: twice a second keeps the charts and the status
 * bar live while waking the extension host's thread less often (its event-loop delay while
 * training is measured by bench/soak.mjs).
 */
const FLUSH_MS = 500;

/** A save asked for while training: done between two steps, when the weights are still. */
interface PendingSave {
  id: number;
  path: string;
}

/** What a run has learned so far, as a checkpoint records it. */
interface Progress {
  trainer: Trainer | undefined;
  step: number;
  metrics: RunMetrics;
  bestValLoss: number | null;
}

/** A resumed or fresh run, ready to train. */
interface StartedRun {
  run: PreparedRun;
  trainer?: Trainer;
  step: number;
  metrics: RunMetrics;
  bestValLoss: number | null;
  notes: string[];
}

export class TrainingRunner {
  /** The run in progress; `ended` once its `done` is posted (its last saves may still be written). */
  private running: { runId: string; stop: boolean; saves: PendingSave[]; ended: boolean } | undefined;
  /** Settles when the current run has finished entirely. */
  private finished: Promise<void> = Promise.resolve();

  constructor(
    private readonly post: (message: FromTrainer, transfer?: ArrayBuffer[]) => void,
    private readonly backendName: () => Promise<string>,
    private readonly shards: ShardSetup,
  ) {}

  async handle(message: ToTrainer): Promise<void> {
    switch (message.type) {
      case 'start':
        await this.start(message.request);
        break;
      case 'stop':
        if (this.running) this.running.stop = true;
        break;
      case 'save':
        if (this.running) this.running.saves.push({ id: message.id, path: message.path });
        else this.post({ type: 'saveFailed', id: message.id, error: 'no run is training' });
        break;
    }
  }

  private async start(req: TrainRequest): Promise<void> {
    // The engine may ask for the next run as soon as it hears `done`: let the last one finish.
    if (this.running?.ended) await this.finished;
    if (this.running) {
      this.post({ type: 'refused', error: 'a training run is already in progress' });
      return;
    }
    this.running = { runId: req.runId, stop: false, saves: [], ended: false };
    let backend: string;
    let started: StartedRun;
    try {
      backend = await this.backendName();
      if (req.resumeFrom) {
        started = await resumeRun(await loadCheckpoint(req.resumeFrom), req.text, req.config);
      } else {
        const run = prepareRun(req.text, req.config);
        started = { run, step: 0, metrics: { train: [], val: [] }, bestValLoss: null, notes: run.notes };
      }
    } catch (e) {
      this.running = undefined;
      this.post({ type: 'refused', error: errorMessage(e) });
      return;
    }
    const { run } = started;
    this.post({
      type: 'started',
      accepted: {
        runId: req.runId, batchSize: run.batch, seqLength: run.steps, notes: started.notes,
        vocabSize: run.codec.vocab.size, trainTokens: run.train.length, valTokens: run.val.length,
        parameters: run.model.parameterCount, backend, startStep: started.step,
      },
      shape: run.model.shape,
      vocabulary: { mode: run.codec.mode, tokens: [...run.codec.vocab.tokens] },
      metrics: started.metrics,
      bestValLoss: started.bestValLoss,
      weights: this.weightsOf(run, started.step),
    });
    this.finished = this.loop(req, started);
    await this.finished;
  }

  /** A copy of the model's parameters (each its own buffer, to transfer). */
  private weightsOf(run: PreparedRun, step: number): WeightsMessage {
    return { type: 'weights', step, values: run.model.named.map((n) => (n.variable.dataSync() as Float32Array).slice()) };
  }

  private sendWeights(run: PreparedRun, step: number): void {
    const m = this.weightsOf(run, step);
    this.post(m, m.values.map((v) => v.buffer as ArrayBuffer));
  }

  private async loop(req: TrainRequest, started: StartedRun): Promise<void> {
    const { runId, config } = req;
    const { run } = started;
    const control = this.running!;
    const event = (e: Extract<FromTrainer, { type: 'event' }>['event']) => this.post({ type: 'event', event: e });
    const progress: Progress = { trainer: undefined, step: started.step, metrics: started.metrics, bestValLoss: started.bestValLoss };
    let pending: StepPoint[] = [];
    let lastFlush = performance.now();
    let lastSave = performance.now();
    let lastWeights = performance.now();
    let charsPerSec = 0;
    let elapsedMs = 0;
    // Set by a validation loss below the best so far; the weights are saved at the next safe point,
    // which comes before another step changes them.
    let bestDue = false;
    const flush = () => {
      if (pending.length === 0) return;
      event({ type: 'steps', runId, points: pending, charsPerSec, elapsedMs });
      pending = [];
      lastFlush = performance.now();
    };
    const autosave = async () => {
      if (!req.checkpointPath) return;
      lastSave = performance.now();
      try {
        await this.write(req.checkpointPath, run, config, progress);
        // The host hears of every step the checkpoint holds before it hears of the checkpoint,
        // so a run record that names a checkpoint also has its loss history up to that step.
        flush();
        event({ type: 'checkpoint', runId, step: progress.step, path: req.checkpointPath });
      } catch (e) {
        event({ type: 'log', level: 'warn', message: `Run ${runId}: the checkpoint could not be written: ${errorMessage(e)}` });
      }
    };
    const saveBest = async () => {
      if (!bestDue || !req.checkpointPath) return;
      bestDue = false;
      try {
        await this.write(bestCheckpointPath(req.checkpointPath), run, config, progress);
      } catch (e) {
        event({ type: 'log', level: 'warn', message: `Run ${runId}: the best-validation checkpoint could not be written: ${errorMessage(e)}` });
      }
    };
    let trainer: Trainer | undefined;
    try {
      trainer = await startTrainer(run, config, this.shards, started.trainer, (message) => event({ type: 'log', level: 'info', message: `Run ${runId}: ${message}` }));
      progress.trainer = trainer;
      const { trainer: _, ...summary } = await trainLoop(run, config, {
        onStep: (s) => {
          progress.step = s.step;
          progress.metrics.train.push({ step: s.step, loss: s.loss });
          pending.push({ step: s.step, loss: s.loss, gradNorm: s.gradNorm, seconds: Math.round(s.elapsedMs) / 1000 });
          charsPerSec = s.charsPerSec;
          elapsedMs = s.elapsedMs;
          if (performance.now() - lastWeights >= WEIGHTS_EVERY_MS) {
            this.sendWeights(run, s.step);
            lastWeights = performance.now();
          }
          if (performance.now() - lastFlush >= FLUSH_MS) flush();
        },
        onVal: (step, loss) => {
          progress.metrics.val.push({ step, loss });
          if (progress.bestValLoss === null || loss < progress.bestValLoss) {
            progress.bestValLoss = loss;
            bestDue = true;
          }
          flush();
          // Validation follows a step: it is placed at that step's time, so both align on either axis.
          event({ type: 'val', runId, step, loss, seconds: Math.round(elapsedMs) / 1000 });
        },
        onSample: (step, text) => event({ type: 'sample', runId, step, text }),
        onGradByLag: (step, g, clipped) => event({ type: 'gradByLag', runId, step, h: g.h, c: g.c, hTotal: g.hTotal, clipped }),
        shouldStop: () => control.stop,
        pause: async () => {
          await new Promise((resolve) => setImmediate(resolve));
          await this.savePending(control.saves, run, config, progress);
          await saveBest();
          if (req.checkpointEveryMs && performance.now() - lastSave >= req.checkpointEveryMs) await autosave();
        },
      }, { trainer, step: started.step });
      flush();
      // The run's last validation (when it ran its course) may be its best; no step has followed it.
      if (summary.reason !== 'diverged') await saveBest();
      // The last weights (also after a step that stopped the run, which changed them without an onStep).
      this.sendWeights(run, summary.steps);
      // A run stopped for a loss jump has applied that step: its last periodic checkpoint is the good one.
      if (summary.steps > started.step && summary.reason !== 'diverged') await autosave();
      control.ended = true;
      event({ type: 'done', runId, ...summary });
    } catch (e) {
      flush();
      control.ended = true;
      event({ type: 'done', runId, reason: 'failed', steps: progress.step, trainLoss: null, valLoss: null, charsPerSec: 0, message: errorMessage(e) });
    } finally {
      // Saves asked for while the last ones were written are answered too.
      while (control.saves.length > 0) await this.savePending(control.saves, run, config, progress);
      // Also ends any shard workers of a data-parallel run.
      trainer?.dispose();
      run.model.dispose();
      this.running = undefined;
    }
  }

  private async write(path: string, run: Pick<PreparedRun, 'model' | 'codec'>, config: TrainConfig, p: Progress): Promise<void> {
    const ckpt = await captureCheckpoint({ model: run.model, codec: run.codec, config, trainer: p.trainer, step: p.step, metrics: p.metrics, bestValLoss: p.bestValLoss });
    await saveCheckpoint(path, ckpt);
  }

  private async savePending(saves: PendingSave[], run: PreparedRun, config: TrainConfig, p: Progress): Promise<void> {
    for (const s of saves.splice(0)) {
      try {
        await this.write(s.path, run, config, p);
        this.post({ type: 'saved', id: s.id, step: p.step });
      } catch (e) {
        this.post({ type: 'saveFailed', id: s.id, error: errorMessage(e) });
      }
    }
  }
}
