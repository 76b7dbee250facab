/**
 * The engine behind the worker door: handles one message at a time and reports through `post`.
 * Training runs in a training thread of its own (trainingThread.ts → trainingRunner.ts); this
 * thread keeps a copy of the run's model, refreshed with the weights the training thread sends
 * after steps, and answers the read-only requests with it (inspection.ts) on the document copies
 * (documents.ts) — so a hover never waits for a training step. Kept free of worker_threads itself
 * so that tests can drive it directly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint, saveCheckpoint } from '../engine/checkpoint';
import { exportCheckpointFile } from '../engine/export/exportFile';
import { codecFromTokens } from '../engine/codec';
import { SequenceModel } from '../engine/model';
import { captureCheckpoint, configOf, restoreRun } from '../engine/snapshot';
import { errorMessage, type Reply } from '../protocol/messages';
import type { TrainConfig } from '../protocol/runConfig';
import type {
  EngineStats, HostToWorker, LoadRequest, LoadResult, SaveRequest, SaveResult, TrainAccepted, TrainRequest, WorkerToHost,
} from '../protocol/workerProtocol';
import { MirroredDocuments } from './documents';
import { Inspection } from './inspection';
import { StateReaders } from './stateReaders';
import { ModelSlot, type RunProgress, type TrainedModel } from './modelSlot';
import type { FromTrainer, StartedMessage, WeightsMessage } from './trainingMessages';
import { TrainingThread, type TrainingSetup } from './trainingThread';

/** The run in the training thread, as this thread follows it. */
interface RunningRun {
  runId: string;
  config: TrainConfig;
  /** Settled when the training thread has prepared the run (or refused it). */
  started: { resolve: (m: StartedMessage) => void; reject: (e: Error) => void };
  /** This thread's copy of the run's model, once started. */
  model?: TrainedModel;
  /** A stop was asked for (perhaps before the training thread heard of the run). */
  stop?: boolean;
}

export class EngineService {
  private running: RunningRun | undefined;
  private readonly docs = new MirroredDocuments();
  private readonly slot = new ModelSlot(this.docs);
  private readonly readers: StateReaders;
  private readonly inspection: Inspection;
  private readonly thread: TrainingThread;
  /** Saves sent to the training thread, by request id. */
  private readonly saves = new Map<number, { resolve: (step: number) => void; reject: (e: Error) => void }>();
  private saveIds = 0;

  constructor(
    private readonly post: (message: WorkerToHost) => void,
    private readonly backendName: () => Promise<string>,
    training: TrainingSetup,
  ) {
    this.readers = new StateReaders(training.wasmDir);
    this.inspection = new Inspection(this.slot, this.docs, this.readers);
    this.thread = new TrainingThread(training, (m) => this.fromTrainer(m), (why) => this.trainerLost(why));
  }

  async handle(message: HostToWorker): Promise<void> {
    try {
      switch (message.type) {
        case 'train':
          this.reply(message.id, await this.train(message));
          break;
        case 'stop':
          if (this.running) {
            this.running.stop = true;
            this.thread.send({ type: 'stop' });
          }
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
        case 'exportTorch':
          // Reads the file, not the current model: any stored run's checkpoint can be exported.
          this.reply(message.id, await exportCheckpointFile(message.path, message.outPath));
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

  /** Ends the training thread (a run in it stops where it is). */
  async dispose(): Promise<void> {
    await this.thread.dispose();
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
    let started!: Promise<StartedMessage>;
    const run: RunningRun = {
      runId: req.runId, config: req.config,
      started: { resolve: () => undefined, reject: () => undefined },
    };
    started = new Promise<StartedMessage>((resolve, reject) => { run.started = { resolve, reject }; });
    this.running = run;
    let m: StartedMessage;
    try {
      // This thread's backend runs the copy of the model; the training thread has its own.
      await this.backendName();
      this.thread.busy(true);
      this.thread.send({ type: 'start', request: req });
      // A stop that came while this thread's backend started reached the training thread first.
      if (run.stop) this.thread.send({ type: 'stop' });
      m = await started;
    } catch (e) {
      if (this.running === run) {
        this.running = undefined;
        this.thread.busy(false);
      }
      throw e;
    }
    const model = SequenceModel.create(m.shape, 0);
    setWeights(model, m.weights.values);
    const progress: RunProgress = { trainer: undefined, step: m.weights.step, metrics: m.metrics, bestValLoss: m.bestValLoss };
    run.model = { runId: req.runId, model, codec: codecFromTokens(m.vocabulary.mode, m.vocabulary.tokens), config: req.config, progress };
    // The model serves predictions from now on, and follows the run's weights.
    this.slot.adopt(run.model);
    this.readers.prepare(run.model.model);
    return m.accepted;
  }

  private fromTrainer(m: FromTrainer): void {
    const run = this.running;
    switch (m.type) {
      case 'started':
        run?.started.resolve(m);
        break;
      case 'refused':
        run?.started.reject(new Error(m.error));
        break;
      case 'weights':
        if (run?.model) this.refresh(run.model, m);
        break;
      case 'saved':
        this.saves.get(m.id)?.resolve(m.step);
        this.saves.delete(m.id);
        break;
      case 'saveFailed':
        this.saves.get(m.id)?.reject(new Error(m.error));
        this.saves.delete(m.id);
        break;
      case 'event':
        this.runEvent(run, m.event);
        break;
    }
  }

  /** Keeps this thread's record of the run (for checkpoints saved after it) and passes the event on. */
  private runEvent(run: RunningRun | undefined, e: Extract<FromTrainer, { type: 'event' }>['event']): void {
    const progress = run?.model?.progress;
    if (progress && e.type === 'steps') {
      for (const p of e.points) progress.metrics.train.push({ step: p.step, loss: p.loss });
    } else if (progress && e.type === 'val') {
      progress.metrics.val.push({ step: e.step, loss: e.loss });
      if (progress.bestValLoss === null || e.loss < progress.bestValLoss) progress.bestValLoss = e.loss;
    } else if (e.type === 'done' && run && e.runId === run.runId) {
      // Free before the host hears of it: it may start the next run at once.
      this.running = undefined;
      this.thread.busy(false);
    }
    this.post(e);
  }

  /** New weights for the copy: kept document states go with the old ones (the version changes). */
  private refresh(model: TrainedModel, m: WeightsMessage): void {
    setWeights(model.model, m.values);
    model.progress.step = m.step;
    this.slot.weightsChanged();
  }

  private trainerLost(why: string): void {
    for (const s of this.saves.values()) s.reject(new Error(why));
    this.saves.clear();
    const run = this.running;
    if (!run) return;
    this.running = undefined;
    run.started.reject(new Error(why));
    if (run.model) {
      this.post({ type: 'done', runId: run.runId, reason: 'failed', steps: run.model.progress.step, trainLoss: null, valLoss: null, charsPerSec: 0, message: `${why}; the weights from step ${run.model.progress.step} are kept` });
    }
  }

  private async save(req: SaveRequest): Promise<SaveResult> {
    const running = this.running;
    const latest = this.slot.current;
    if (running?.model && running.runId === latest.runId) {
      // The training thread writes it between two steps, with the optimizer's state.
      const id = ++this.saveIds;
      const step = await new Promise<number>((resolve, reject) => {
        this.saves.set(id, { resolve, reject });
        this.thread.send({ type: 'save', id, path: req.path });
      });
      return { runId: latest.runId, step, path: req.path };
    }
    // Between runs the optimizer is gone: the checkpoint holds the weights, enough to load and sample.
    const p = latest.progress;
    const ckpt = await captureCheckpoint({ model: latest.model, codec: latest.codec, config: latest.config, trainer: undefined, step: p.step, metrics: p.metrics, bestValLoss: p.bestValLoss });
    await saveCheckpoint(req.path, ckpt);
    return { runId: latest.runId, step: p.step, path: req.path };
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
    this.readers.prepare(restored.model);
    return {
      runId: req.runId, config, step: restored.step, vocabSize: restored.codec.vocab.size,
      train: restored.metrics.train, val: restored.metrics.val, bestValLoss: restored.bestValLoss,
    };
  }
}

/** Copies parameter values (in `SequenceModel.named` order) into the model's variables. */
function setWeights(model: SequenceModel, values: Float32Array[]): void {
  if (values.length !== model.named.length) throw new Error(`the run sent ${values.length} parameters; the model has ${model.named.length}`);
  tf.tidy(() => model.named.forEach((n, k) => n.variable.assign(tf.tensor(values[k], n.variable.shape))));
}
