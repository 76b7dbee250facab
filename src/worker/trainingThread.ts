/**
 * The engine thread's handle on its training thread (trainingMain.ts): started on the first run
 * and kept for the next ones, restarted after it dies; messages in both directions, and a word
 * when it stops without being asked to.
 */
import { Worker } from 'node:worker_threads';
import type { FromTrainer, ToTrainer } from './trainingMessages';

export interface TrainingSetup {
  /** The bundled training thread script (dist/trainingWorker.js). */
  trainingScript: string;
  wasmDir: string;
  backend?: 'wasm' | 'cpu';
}

export class TrainingThread {
  private worker: Worker | undefined;

  constructor(
    private readonly setup: TrainingSetup,
    private readonly onMessage: (m: FromTrainer) => void,
    /** The thread stopped (crashed or exited) while it existed; carries a description. */
    private readonly onExit: (why: string) => void,
  ) {}

  send(m: ToTrainer): void {
    this.ensure().postMessage(m);
  }

  /**
   * Whether a run is training: only then does the thread keep the process alive (an idle one does
   * not hold up the exit of a test or a CLI command).
   */
  busy(on: boolean): void {
    if (on) this.ensure().ref();
    else this.worker?.unref();
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.setup.trainingScript, { workerData: { wasmDir: this.setup.wasmDir, backend: this.setup.backend } });
    let error: Error | undefined;
    w.on('message', (m: FromTrainer) => this.onMessage(m));
    w.on('error', (e) => { error = e; });
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.onExit(error ? `the training thread failed: ${error.message}` : `the training thread stopped (exit code ${code})`);
    });
    this.worker = w;
    return w;
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}
