/**
 * The sequence-to-sequence thread (dist/seq2seqWorker.js) seen from the extension host: started
 * on first use, requests answered by id (decodings, checkpoint loads), a run's events passed on,
 * and every waiting request answered when the thread stops.
 */
import { Worker } from 'node:worker_threads';
import type { Log } from '../log';
import { errorMessage } from '../protocol/messages';
import type { FromSeq2Seq, Seq2SeqRunOptions, ToSeq2Seq } from '../protocol/seq2seqMessages';

export type Translation = Extract<FromSeq2Seq, { type: 'translated' }>;
export type Loaded = Extract<FromSeq2Seq, { type: 'loaded' }>;
/** A run's events: everything the thread says that is not a reply. */
export type RunEvent = Exclude<FromSeq2Seq, Translation | Loaded>;

export class Seq2SeqThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, (m: Translation | Loaded) => void>();
  private ids = 0;
  /** Which stored run's model the thread holds (what it decodes with); null: none or unknown. */
  holds: string | null = null;

  constructor(
    private readonly scriptPath: string, private readonly wasmDir: string, private readonly log: Log,
    private readonly onEvent: (m: RunEvent) => void,
    /** The thread stopped (crashed or terminated); `code` is its exit code. */
    private readonly onExit: (code: number) => void,
  ) {}

  start(runId: string, text: string, options: Seq2SeqRunOptions, files: { save: string | null; resume: string | null }): void {
    this.holds = runId;
    this.send({ type: 'start', runId, text, options, files });
  }

  stop(): void {
    this.worker?.postMessage({ type: 'stop' } satisfies ToSeq2Seq);
  }

  /** The held model's decoding of `source`. */
  translate(source: string): Promise<Translation> {
    return this.request((id) => ({ type: 'translate', id, source })) as Promise<Translation>;
  }

  /** Makes the checkpoint at `path` (the stored run `runId`'s) the model that decodes. */
  async load(runId: string, path: string): Promise<Loaded> {
    const r = (await this.request((id) => ({ type: 'load', id, path }))) as Loaded;
    this.holds = r.ok ? runId : null;
    return r;
  }

  /**
   * Loads run `runId`'s kept model unless it is loading already (every hover asking at once waits
   * for the one load); resolves with the reason it could not, or null.
   */
  hold(runId: string, path: string): Promise<string | null> {
    if (this.loading?.runId !== runId) {
      this.loading = {
        runId,
        done: this.load(runId, path).then((r) => {
          this.loading = undefined;
          if (r.ok) return null;
          this.log.error(`Sequence to sequence: could not load ${path}: ${r.error}`);
          return `the kept model could not be loaded (${r.error})`;
        }),
      };
    }
    return this.loading.done;
  }

  private loading: { runId: string; done: Promise<string | null> } | undefined;

  private request(make: (id: number) => ToSeq2Seq): Promise<Translation | Loaded> {
    const id = ++this.ids;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send(make(id));
    });
  }

  private send(m: ToSeq2Seq): void {
    this.ensure().postMessage(m);
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.scriptPath, { workerData: { wasmDir: this.wasmDir } });
    w.on('message', (m: FromSeq2Seq) => {
      if (m.type === 'translated' || m.type === 'loaded') {
        this.pending.get(m.id)?.(m);
        this.pending.delete(m.id);
      } else this.onEvent(m);
    });
    w.on('error', (e) => this.log.error(`Sequence to sequence: the thread failed: ${errorMessage(e)}`));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.holds = null;
      this.answerAll('the sequence-to-sequence thread stopped');
      this.onExit(code);
    });
    this.worker = w;
    return w;
  }

  private answerAll(error: string): void {
    for (const [id, resolve] of this.pending) resolve({ type: 'translated', id, ok: false, error });
    this.pending.clear();
  }

  dispose(): void {
    this.answerAll('LSTM Lab is shutting down');
    const w = this.worker;
    this.worker = undefined;
    void w?.terminate();
  }
}
