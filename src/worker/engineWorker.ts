/**
 * Host-side handle of the engine worker: starts it lazily, sends requests, routes replies and
 * events, and notices when it dies. No `vscode` import.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { isReply, RequestTracker } from '../protocol/messages';
import type { EngineStats, ExportTorchResult, HostToWorker, LoadResult, SaveResult, TrainAccepted, TrainRequest, WorkerToHost } from '../protocol/workerProtocol';
import type { DocChange, DocSpan, HoverResult, PredictRequest, PredictResult, SampleRequest, SampleResult, SpanRequest, SpanValues, TraceResult, UnitSearchRequest, UnitSearchResult } from '../protocol/inspectionMessages';

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;
export type WorkerRequest = Distribute<HostToWorker>;

export interface EngineWorkerEvents {
  event: [WorkerToHost];
  /** The worker stopped without being asked to; carries a description. */
  crash: [string];
}

export class EngineWorker extends EventEmitter<EngineWorkerEvents> {
  private worker: Worker | undefined;
  private readonly tracker = new RequestTracker();
  private disposed = false;
  private starts = 0;

  constructor(private readonly scriptPath: string, private readonly wasmDir: string) {
    super();
  }

  get started(): boolean {
    return this.worker !== undefined;
  }

  train(request: Omit<TrainRequest, 'id' | 'type'>): Promise<TrainAccepted> {
    return this.request<TrainAccepted>({ type: 'train', ...request }, 120_000);
  }

  stop(): Promise<{ wasRunning: boolean }> {
    if (!this.worker) return Promise.resolve({ wasRunning: false });
    return this.request({ type: 'stop' }, 10_000);
  }

  predict(request: Omit<PredictRequest, 'id' | 'type'>, timeoutMs = 5_000): Promise<PredictResult> {
    return this.request<PredictResult>({ type: 'predict', ...request }, timeoutMs);
  }

  trace(text: string, doc?: DocSpan): Promise<TraceResult> {
    return this.request<TraceResult>({ type: 'trace', text, doc }, 30_000);
  }

  /** Mirrors a document's text in the engine. */
  docOpen(key: string, text: string): Promise<{ length: number }> {
    return this.request({ type: 'docOpen', key, text }, 30_000);
  }

  docEdit(key: string, changes: DocChange[], length: number): Promise<{ length: number }> {
    return this.request({ type: 'docEdit', key, changes, length }, 30_000);
  }

  docClose(key: string): Promise<{ closed: boolean }> {
    return this.request({ type: 'docClose', key }, 10_000);
  }

  hover(key: string, offset: number, topK: number, timeoutMs = 10_000): Promise<HoverResult> {
    return this.request<HoverResult>({ type: 'hover', key, offset, topK }, timeoutMs);
  }

  span(request: Omit<SpanRequest, 'id' | 'type'>): Promise<SpanValues> {
    return this.request<SpanValues>({ type: 'span', ...request }, 60_000);
  }

  unitSearch(request: Omit<UnitSearchRequest, 'id' | 'type'>): Promise<UnitSearchResult> {
    return this.request<UnitSearchResult>({ type: 'unitSearch', ...request }, 120_000);
  }

  /** Tensors and heap of the engine thread, or null when it has not started. */
  stats(): Promise<EngineStats | null> {
    return this.worker ? this.request<EngineStats>({ type: 'stats' }, 10_000) : Promise.resolve(null);
  }

  /** Ends the thread the way a crash would: pending requests fail and `crash` is emitted (fault tests). */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  /** A number that changes each time a new worker thread starts (its mirrored documents are then gone). */
  get generation(): number {
    return this.starts;
  }

  sample(request: Omit<SampleRequest, 'id' | 'type'>): Promise<SampleResult> {
    return this.request<SampleResult>({ type: 'sample', ...request }, 30_000);
  }

  /** Writes the current model to `path` (while training, between two steps). */
  save(path: string): Promise<SaveResult> {
    return this.request<SaveResult>({ type: 'save', path }, 60_000);
  }

  /** Makes the checkpoint at `path` the model that answers predictions, traces and samples. */
  load(runId: string, path: string): Promise<LoadResult> {
    return this.request<LoadResult>({ type: 'load', runId, path }, 120_000);
  }

  /** Writes the checkpoint at `path` as safetensors for PyTorch at `outPath`. */
  exportTorch(path: string, outPath: string): Promise<ExportTorchResult> {
    return this.request<ExportTorchResult>({ type: 'exportTorch', path, outPath }, 300_000);
  }

  /** Ends the worker thread (a later request starts a new one). */
  async terminate(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.tracker.rejectAll('the engine worker was stopped');
    if (w) await w.terminate();
  }

  dispose(): void {
    this.disposed = true;
    void this.terminate();
    this.removeAllListeners();
  }

  private request<R>(message: WorkerRequest, timeoutMs: number): Promise<R> {
    if (this.disposed) return Promise.reject(new Error('the engine worker is disposed'));
    const worker = this.ensureWorker();
    return this.tracker.request<R>((m) => worker.postMessage(m), (id) => ({ ...message, id }), timeoutMs);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.scriptPath, { workerData: { wasmDir: this.wasmDir } });
    this.starts++;
    worker.on('message', (message: WorkerToHost) => {
      if (isReply(message)) this.tracker.handleReply(message);
      else this.emit('event', message);
    });
    worker.on('error', (err) => this.lost(worker, `the engine worker failed: ${err.message}`));
    worker.on('exit', (code) => this.lost(worker, `the engine worker exited (code ${code})`));
    this.worker = worker;
    return worker;
  }

  private lost(worker: Worker, description: string): void {
    if (this.worker !== worker) return; // already replaced or terminated on purpose
    this.worker = undefined;
    this.tracker.rejectAll(description);
    this.emit('crash', description);
  }
}
