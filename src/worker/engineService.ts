/**
 * The engine behind the worker door: handles one message at a time and reports through `post`.
 * This file owns training runs (start, resume, the loop, checkpoints written between steps) and
 * routes the read-only requests to inspection.ts and the document copies to documents.ts. Kept
 * free of worker_threads so that tests can drive it directly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint, saveCheckpoint } from '../engine/checkpoint';
import { startTrainer, type ShardSetup } from '../engine/parallel/startTrainer';
import { resumeRun } from '../engine/resume';
import { prepareRun, trainLoop, type PreparedRun } from '../engine/run';
import { captureCheckpoint, configOf, restoreRun, type RunMetrics } from '../engine/snapshot';
import type { Trainer } from '../engine/trainer';
import { errorMessage, type Reply } from '../protocol/messages';
import type { TrainConfig } from '../protocol/runConfig';
import type {
  EngineStats, HostToWorker, LoadRequest, LoadResult, SaveRequest, SaveResult, StepPoint, TrainAccepted, TrainRequest, WorkerToHost,
} from '../protocol/workerProtocol';
import { MirroredDocuments } from './documents';
import { Inspection } from './inspection';
import { ModelSlot, type RunProgress } from './modelSlot';

/** How often step points are flushed to the host. */
const FLUSH_MS = 150;

/** A save asked for while training: done between two steps, when the weights are still. */
interface PendingSave {
  path: string;
  done: (error: unknown) => void;
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

export class EngineService {
  private running: { runId: string; stop: boolean; progress?: RunProgress; saves: PendingSave[] } | undefined;
  private readonly docs = new MirroredDocuments();
  private readonly slot = new ModelSlot(this.docs);
  private readonly inspection = new Inspection(this.slot, this.docs);

  constructor(
    private readonly post: (message: WorkerToHost) => void,
    private readonly backendName: () => Promise<string>,
    private readonly shards: ShardSetup,
  ) {}

  async handle(message: HostToWorker): Promise<void> {
    try {
      switch (message.type) {
        case 'train':
          this.reply(message.id, await this.train(message));
          break;
        case 'stop':
          if (this.running) this.running.stop = true;
          this.reply(message.id, { wasRunning: Boolean(this.running) });
          break;
        case 'predict':
          this.reply(message.id, this.inspection.predict(message));
          break;
        case 'trace':
          this.reply(message.id, this.inspection.trace(message));
          break;
        case 'surprisal':
          this.reply(message.id, this.inspection.surprisal(message));
          break;
        case 'sample':
          this.reply(message.id, this.inspection.sample(message));
          break;
        case 'save':
          this.reply(message.id, await this.save(message));
          break;
        case 'load':
          this.reply(message.id, await this.load(message));
          break;
        case 'docOpen':
          this.reply(message.id, this.docs.open(message));
          break;
        case 'docEdit':
          this.reply(message.id, this.docs.edit(message));
          break;
        case 'docClose':
          this.reply(message.id, this.docs.close(message.key));
          break;
        case 'hover':
          this.reply(message.id, this.inspection.hover(message));
          break;
        case 'span':
          this.reply(message.id, this.inspection.span(message));
          break;
        case 'unitSearch':
          this.reply(message.id, this.inspection.unitSearch(message));
          break;
        case 'stats': {
          const { numTensors, numBytes } = tf.memory();
          const { heapUsed, external, arrayBuffers } = process.memoryUsage();
          this.reply(message.id, { numTensors, numBytes, heapUsed, external, arrayBuffers } satisfies EngineStats);
          break;
        }
        default:
          throw new Error(`unknown request ${JSON.stringify((message as { type?: unknown }).type)}`);
      }
    } catch (e) {
      const id = (message as { id?: unknown }).id;
      this.post({ type: 'reply', id: typeof id === 'number' ? id : -1, ok: false, error: errorMessage(e) } satisfies Reply);
    }
  }

  get isTraining(): boolean {
    return this.running !== undefined;
  }

  private reply(id: number, result: unknown): void {
    this.post({ type: 'reply', id, ok: true, result });
  }

  private async train(req: TrainRequest): Promise<TrainAccepted> {
    if (this.running) throw new Error('a training run is already in progress');
    // Claimed before the first await, so that a stop or a second train sent meanwhile sees it.
    this.running = { runId: req.runId, stop: false, saves: [] };
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
      throw e;
    }
    const { run } = started;
    const accepted: TrainAccepted = {
      runId: req.runId, batchSize: run.batch, seqLength: run.steps, notes: started.notes,
      vocabSize: run.codec.vocab.size, trainTokens: run.train.length, valTokens: run.val.length,
      parameters: run.model.parameterCount, backend, startStep: started.step,
    };
    // Train after replying, so that the host learns the run started before its first steps.
    setImmediate(() => void this.loop(req, started));
    return accepted;
  }

  private async loop(req: TrainRequest, started: StartedRun): Promise<void> {
    const { runId, config } = req;
    const { run } = started;
    const control = this.running!;
    const progress: RunProgress = { trainer: undefined, step: started.step, metrics: started.metrics, bestValLoss: started.bestValLoss };
    control.progress = progress;
    let pending: StepPoint[] = [];
    let lastFlush = performance.now();
    let lastSave = performance.now();
    let charsPerSec = 0;
    let elapsedMs = 0;
    const flush = () => {
      if (pending.length === 0) return;
      this.post({ type: 'steps', runId, points: pending, charsPerSec, elapsedMs });
      pending = [];
      lastFlush = performance.now();
    };
    const autosave = async () => {
      if (!req.checkpointPath) return;
      lastSave = performance.now();
      try {
        await this.write(req.checkpointPath, run, config, progress);
        this.post({ type: 'checkpoint', runId, step: progress.step, path: req.checkpointPath });
      } catch (e) {
        this.post({ type: 'log', level: 'warn', message: `Run ${runId}: the checkpoint could not be written: ${errorMessage(e)}` });
      }
    };
    // The model serves predictions from its first step on.
    this.slot.adopt({ runId, model: run.model, codec: run.codec, config, progress });
    let trainer: Trainer | undefined;
    try {
      trainer = await startTrainer(run, config, this.shards, started.trainer, (message) => this.post({ type: 'log', level: 'info', message: `Run ${runId}: ${message}` }));
      progress.trainer = trainer;
      const { trainer: _, ...summary } = await trainLoop(run, config, {
        onStep: (s) => {
          progress.step = s.step;
          progress.metrics.train.push({ step: s.step, loss: s.loss });
          pending.push({ step: s.step, loss: s.loss, gradNorm: s.gradNorm, seconds: Math.round(s.elapsedMs) / 1000 });
          charsPerSec = s.charsPerSec;
          elapsedMs = s.elapsedMs;
          if (performance.now() - lastFlush >= FLUSH_MS) flush();
        },
        onVal: (step, loss) => {
          progress.metrics.val.push({ step, loss });
          if (progress.bestValLoss === null || loss < progress.bestValLoss) progress.bestValLoss = loss;
          flush();
          // Validation follows a step: it is placed at that step's time, so both align on either axis.
          this.post({ type: 'val', runId, step, loss, seconds: Math.round(elapsedMs) / 1000 });
        },
        onSample: (step, text) => this.post({ type: 'sample', runId, step, text }),
        onGradByLag: (step, g, clipped) => this.post({ type: 'gradByLag', runId, step, h: g.h, c: g.c, hTotal: g.hTotal, clipped }),
        shouldStop: () => control.stop,
        pause: async () => {
          await new Promise((resolve) => setImmediate(resolve));
          await this.savePending(control.saves, run, config, progress);
          if (req.checkpointEveryMs && performance.now() - lastSave >= req.checkpointEveryMs) await autosave();
        },
      }, { trainer, step: started.step });
      flush();
      // A step that stopped the run (a loss jump) changed the weights without an onStep: states kept since are stale.
      this.slot.weightsChanged();
      // A run stopped for a loss jump has applied that step: its last periodic checkpoint is the good one.
      if (summary.steps > started.step && summary.reason !== 'diverged') await autosave();
      this.post({ type: 'done', runId, ...summary });
    } catch (e) {
      flush();
      this.post({ type: 'done', runId, reason: 'failed', steps: progress.step, trainLoss: null, valLoss: null, charsPerSec: 0, message: errorMessage(e) });
    } finally {
      // Saves asked for while the last ones were written are answered too.
      while (control.saves.length > 0) await this.savePending(control.saves, run, config, progress);
      // Also ends any shard workers of a data-parallel run.
      trainer?.dispose();
      progress.trainer = undefined;
      this.running = undefined;
    }
  }

  private async write(path: string, run: Pick<PreparedRun, 'model' | 'codec'>, config: TrainConfig, p: RunProgress): Promise<void> {
    const ckpt = await captureCheckpoint({ model: run.model, codec: run.codec, config, trainer: p.trainer, step: p.step, metrics: p.metrics, bestValLoss: p.bestValLoss });
    await saveCheckpoint(path, ckpt);
  }

  private async savePending(saves: PendingSave[], run: PreparedRun, config: TrainConfig, p: RunProgress): Promise<void> {
    for (const s of saves.splice(0)) {
      try {
        await this.write(s.path, run, config, p);
        s.done(null);
      } catch (e) {
        s.done(e);
      }
    }
  }

  private async save(req: SaveRequest): Promise<SaveResult> {
    const running = this.running;
    const latest = this.slot.current;
    if (running?.progress && running.runId === latest.runId) {
      const step = await new Promise<number>((resolve, reject) => {
        running.saves.push({ path: req.path, done: (e) => (e ? reject(e) : resolve(running.progress!.step)) });
      });
      return { runId: latest.runId, step, path: req.path };
    }
    // Between runs the optimizer is gone: the checkpoint holds the weights, enough to load and sample.
    await this.write(req.path, latest, latest.config, { ...latest.progress, trainer: undefined });
    return { runId: latest.runId, step: latest.progress.step, path: req.path };
  }

  private async load(req: LoadRequest): Promise<LoadResult> {
    if (this.running) throw new Error('a training run is in progress; stop it before loading a checkpoint');
    await this.backendName();
    const ckpt = await loadCheckpoint(req.path);
    const config = configOf(ckpt);
    const restored = await restoreRun(ckpt, config);
    // A run may have started while the file was read: it keeps the model.
    if (this.running) {
      restored.model.dispose();
      throw new Error('a training run started; the checkpoint was not loaded');
    }
    const progress = { trainer: undefined, step: restored.step, metrics: restored.metrics, bestValLoss: restored.bestValLoss };
    this.slot.adopt({ runId: req.runId, model: restored.model, codec: restored.codec, config, progress });
    return {
      runId: req.runId, config, step: restored.step, vocabSize: restored.codec.vocab.size,
      train: restored.metrics.train, val: restored.metrics.val, bestValLoss: restored.bestValLoss,
    };
  }

}
