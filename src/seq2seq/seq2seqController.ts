/**
 * Sequence to sequence in the editor: a generated sample to try at once, training on the open file
 * of pairs in a thread of its own (dist/seq2seqWorker.js) with its progress in the status bar and
 * the panel's card, Stop, and decodings of a source line for hovers.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { ConfigStore } from '../config';
import type { Log } from '../log';
import { SAMPLE_TASKS, sampleText, type SampleTask } from '../shared/seq2seqSamples';
import { errorMessage } from '../protocol/messages';
import type { FromSeq2Seq, Seq2SeqRunOptions, ToSeq2Seq } from '../protocol/seq2seqMessages';
import type { HostToWebview, Seq2SeqView } from '../protocol/webviewProtocol';
import { statusText } from '../statusBar';
import { sourceOfLine } from './seq2seqHover';

/** The context key that is true while a sequence-to-sequence run trains. */
export const SEQ2SEQ_TRAINING_KEY = 'lstmLab.seq2seqTraining';
/** Longest file of pairs trained on (UTF-16 characters). */
const MAX_CHARS = 20_000_000;
/** Where finished runs are kept, and how many; how many earlier runs the card draws beside one. */
const HISTORY_KEY = 'lstmLab.seq2seqRuns';
const MAX_STORED = 8;
const MAX_COMPARED = 3;
const FOCUS_DEBOUNCE_MS = 250;

export type Translation = Extract<FromSeq2Seq, { type: 'translated' }>;

export interface Seq2SeqHost {
  post(m: HostToWebview): void;
  showPanel(): void;
}

export class Seq2SeqController implements vscode.Disposable {
  private worker: Worker | undefined;
  private run: { runId: string; uri: vscode.Uri; view: Seq2SeqView; label: string } | undefined;
  /** Finished runs, oldest first (kept in the workspace's state, so they outlive a reload). */
  private history: (Seq2SeqView & { label: string })[];
  /** The document the last model was trained on (hovers decode its lines). */
  private trained: vscode.Uri | undefined;
  private training = false;
  private readonly pending = new Map<number, (t: Translation) => void>();
  private ids = 0;
  private readonly status: vscode.StatusBarItem;
  private finished: (() => void) | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private focusTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly scriptPath: string, private readonly wasmDir: string, private readonly config: ConfigStore, private readonly host: Seq2SeqHost,
    private readonly log: Log, private readonly memory: vscode.Memento,
  ) {
    this.history = storedRuns(memory.get<unknown>(HISTORY_KEY));
    // The card's attention map follows the cursor's line in the trained file.
    this.disposables.push(vscode.window.onDidChangeTextEditorSelection((e) => {
      if (!this.trained || e.textEditor.document.uri.toString() !== this.trained.toString()) return;
      if (this.focusTimer) clearTimeout(this.focusTimer);
      this.focusTimer = setTimeout(() => void this.follow(e.textEditor.document, e.selections[0].active.line), FOCUS_DEBOUNCE_MS);
    }));
    this.status = vscode.window.createStatusBarItem('lstmLab.seq2seq', vscode.StatusBarAlignment.Left, 99);
    this.status.name = vscode.l10n.t('LSTM Lab sequence to sequence');
    this.status.command = 'lstmLab.showPanel';
  }

  get isTraining(): boolean {
    return this.training;
  }

  get trainedUri(): vscode.Uri | undefined {
    return this.trained;
  }

  /**
   * What the panel's card shows: the run training or last trained (after a reload, the last
   * stored one), with the accuracy of earlier runs on the same file to compare.
   */
  get view(): Seq2SeqView | null {
    const shown = this.run?.view ?? this.history[this.history.length - 1];
    if (!shown) return null;
    const compare = this.history.filter((h) => h.runId !== shown.runId && h.fileName === shown.fileName).slice(-MAX_COMPARED).reverse()
      .map((h) => ({ runId: h.runId, label: h.label, evals: h.evals }));
    return { ...shown, compare };
  }

  /** LSTM Lab: New Sequence-to-Sequence Sample…: a generated task in a new editor. */
  async newSample(task?: SampleTask): Promise<vscode.TextDocument | undefined> {
    const chosen = task ?? (await vscode.window.showQuickPick(
      (Object.keys(SAMPLE_TASKS) as SampleTask[]).map((t) => {
        const { label, detail } = taskText(t);
        return { label, detail: vscode.l10n.t('{0} · {1} pairs', detail, SAMPLE_TASKS[t].pairs.toLocaleString('en')), task: t };
      }),
      { title: vscode.l10n.t('A generated sequence-to-sequence task'), placeHolder: vscode.l10n.t('Pick a task; then run LSTM Lab: Train Seq2Seq on File') },
    ))?.task;
    if (!chosen) return undefined;
    const doc = await vscode.workspace.openTextDocument({ content: sampleText(chosen), language: 'plaintext' });
    await vscode.window.showTextDocument(doc);
    return doc;
  }

  /** LSTM Lab: Train Seq2Seq on File. Resolves with the run's id once it trains (or undefined). */
  async train(document = vscode.window.activeTextEditor?.document, overrides: Partial<Seq2SeqRunOptions> = {}): Promise<string | undefined> {
    if (!document) {
      void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: open a file of pairs (source, a tab, target on each line) to train a sequence-to-sequence model. LSTM Lab: New Sequence-to-Sequence Sample… writes one.'));
      return undefined;
    }
    if (this.training) {
      void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: a sequence-to-sequence run is already training. Stop it first.'));
      return undefined;
    }
    const text = document.getText();
    if (text.length > MAX_CHARS) {
      void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab: the file has {0} characters; sequence-to-sequence training takes at most {1}.', text.length.toLocaleString('en'), MAX_CHARS.toLocaleString('en')));
      return undefined;
    }
    const c = this.config.value;
    if (c.train.layers > 2) void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: sequence-to-sequence models have 1–2 layers; training with 2 (the Train setting says {0}).', c.train.layers));
    if (c.seq2seq.hiddenSize % 8 !== 0) {
      void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab: lstmLab.seq2seq.hiddenSize must be a multiple of 8 (it is {0}).', c.seq2seq.hiddenSize));
      return undefined;
    }
    const options: Seq2SeqRunOptions = {
      cell: c.train.cell, layers: Math.min(2, c.train.layers), hidden: c.seq2seq.hiddenSize, attention: c.seq2seq.attention,
      bidirectional: c.seq2seq.bidirectional, tokens: c.train.tokens, batchSize: 64, learningRate: 0.005, beam: c.seq2seq.beam,
      seed: c.train.seed, maxSeconds: c.seq2seq.maxSeconds, ...overrides,
    };
    const runId = `s2s-${Date.now().toString(36)}`;
    const fileName = path.basename(document.uri.path) || document.uri.toString();
    const summary = `${options.cell} ${options.layers}×${options.hidden}, attention ${options.attention}${options.bidirectional ? ', bidirectional encoder' : ''}, ${options.tokens} tokens, ${options.maxSeconds} s`;
    const view: Seq2SeqView = { runId, fileName, status: 'starting', message: null, summary, step: 0, tokensPerSec: 0, evals: [], examples: [], attention: null, sourceGradNorms: [], compare: [], focus: null };
    const label = `${options.cell} ${options.layers}×${options.hidden}, attention ${options.attention}${options.bidirectional ? ', bidirectional' : ''}`;
    const started = new Promise<string | undefined>((resolve) => {
      this.run = { runId, uri: document.uri, view, label };
      this.setTraining(true);
      this.onStart = (ok) => resolve(ok ? runId : undefined);
    });
    this.host.showPanel();
    this.host.post({ type: 'seq2seq', view: this.view });
    this.send({ type: 'start', runId, text, options });
    this.log.info(`Sequence to sequence: training on ${fileName} (${summary})`);
    return started;
  }

  private onStart: ((ok: boolean) => void) | undefined;

  /** Stops the run after its step in flight; resolves when it has ended. */
  async stop(): Promise<boolean> {
    if (!this.training || !this.worker) return false;
    // Every caller waits for the same end.
    this.ending ??= new Promise<void>((resolve) => { this.finished = resolve; });
    this.worker.postMessage({ type: 'stop' } satisfies ToSeq2Seq);
    await this.ending;
    return true;
  }

  private ending: Promise<void> | undefined;

  /** Decodes the pair on `line` of the trained file into the card's focus. */
  private async follow(document: vscode.TextDocument, line: number): Promise<void> {
    const run = this.run;
    if (!run || run.uri.toString() !== document.uri.toString() || line >= document.lineCount) return;
    const text = document.lineAt(line).text;
    const source = sourceOfLine(text);
    if (source.trim() === '') return;
    const t = await this.translate(source);
    if (!t.ok || this.run !== run) return;
    const rest = text.slice(source.length);
    const target = rest.startsWith('\t') ? rest.slice(1) : rest.startsWith(' => ') ? rest.slice(4) : null;
    run.view.focus = { line, source, target, output: t.output, attention: t.attention };
    this.host.post({ type: 'seq2seq', view: this.view });
  }

  /** The model's decoding of `source` (greedy, or the beam width of the settings). */
  translate(source: string): Promise<Translation> {
    const id = ++this.ids;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ type: 'translate', id, source });
    });
  }

  private send(m: ToSeq2Seq): void {
    this.ensure().postMessage(m);
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.scriptPath, { workerData: { wasmDir: this.wasmDir } });
    w.on('message', (m: FromSeq2Seq) => this.onMessage(m));
    w.on('error', (e) => this.log.error(`Sequence to sequence: the thread failed: ${errorMessage(e)}`));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      for (const [id, resolve] of this.pending) resolve({ type: 'translated', id, ok: false, error: 'the sequence-to-sequence thread stopped' });
      this.pending.clear();
      if (this.training && this.run) this.end('failed', `the sequence-to-sequence thread stopped (exit code ${code}); the run is lost`);
    });
    this.worker = w;
    return w;
  }

  private onMessage(m: FromSeq2Seq): void {
    if (m.type === 'translated') {
      this.pending.get(m.id)?.(m);
      this.pending.delete(m.id);
      return;
    }
    const run = this.run;
    if (!run || m.runId !== run.runId) return;
    const v = run.view;
    switch (m.type) {
      case 'started':
        v.status = 'running';
        v.summary = `${v.summary} · ${m.trainPairs.toLocaleString('en')} training pairs, ${m.heldOutPairs.toLocaleString('en')} held out, vocabulary ${m.vocabSize}, batch ${m.batch}`;
        if (m.note) {
          v.message = m.note;
          this.log.info(`Sequence to sequence: ${m.note}`);
        }
        this.trained = run.uri;
        this.onStart?.(true);
        this.onStart = undefined;
        break;
      case 'refused':
        this.log.error(`Sequence to sequence: ${m.error}`);
        void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab: cannot train on {0}: {1}', v.fileName, m.error));
        v.status = 'failed';
        v.message = m.error;
        this.setTraining(false);
        this.onStart?.(false);
        this.onStart = undefined;
        break;
      case 'progress':
        v.step = m.step;
        v.tokensPerSec = m.tokensPerSec;
        this.status.text = `$(sync~spin) ${v.evals.length
          ? vscode.l10n.t('Seq2seq step {0} · exact {1}%', m.step, (100 * v.evals[v.evals.length - 1].exactMatch).toFixed(0))
          : vscode.l10n.t('Seq2seq step {0}', m.step)}`;
        break;
      case 'eval':
        v.evals.push(m.eval);
        v.examples = m.examples;
        v.attention = m.attention;
        v.sourceGradNorms = m.sourceGradNorms;
        v.step = m.eval.step;
        this.log.info(`Sequence to sequence: ${m.eval.seconds.toFixed(0)} s, step ${m.eval.step}: held-out exact match ${(100 * m.eval.exactMatch).toFixed(1)}%, token accuracy ${(100 * m.eval.tokenAccuracy).toFixed(1)}%`);
        break;
      case 'done':
        this.end(m.reason, m.message);
        return;
    }
    this.host.post({ type: 'seq2seq', view: this.view });
  }

  private end(reason: 'completed' | 'stopped' | 'failed', message: string | null): void {
    const run = this.run!;
    const v = run.view;
    v.status = reason;
    if (message) v.message = message;
    this.setTraining(false);
    // A thread that died before the run started ends the wait of whoever started it.
    this.onStart?.(false);
    this.onStart = undefined;
    if (v.evals.length > 0) {
      this.history = [...this.history.filter((h) => h.runId !== v.runId), { ...v, label: run.label }].slice(-MAX_STORED);
      void this.memory.update(HISTORY_KEY, this.history);
    }
    this.host.post({ type: 'seq2seq', view: this.view });
    const last = v.evals[v.evals.length - 1];
    const result = last ? `held-out exact match ${(100 * last.exactMatch).toFixed(1)}%, token accuracy ${(100 * last.tokenAccuracy).toFixed(1)}% after ${last.seconds.toFixed(0)} s` : 'no evaluation';
    this.log.info(`Sequence to sequence: ${reason}: ${result}${message ? ` (${message})` : ''}`);
    if (reason === 'failed') void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab: sequence-to-sequence training failed: {0}', message ?? vscode.l10n.t('unknown error')));
    else {
      const shown = last
        ? vscode.l10n.t('held-out exact match {0}%, token accuracy {1}% after {2} s', (100 * last.exactMatch).toFixed(1), (100 * last.tokenAccuracy).toFixed(1), last.seconds.toFixed(0))
        : vscode.l10n.t('no evaluation');
      void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: sequence to sequence {0} on {1}: {2}. Hover a line of the file to see its decoding.', statusText(reason), v.fileName, shown));
    }
    this.finished?.();
    this.finished = undefined;
    this.ending = undefined;
  }

  private setTraining(on: boolean): void {
    this.training = on;
    void vscode.commands.executeCommand('setContext', SEQ2SEQ_TRAINING_KEY, on);
    if (on) {
      this.status.text = `$(sync~spin) ${vscode.l10n.t('Seq2seq starting…')}`;
      this.status.tooltip = vscode.l10n.t('LSTM Lab: a sequence-to-sequence run is training. Click for the panel.');
      this.status.show();
    } else this.status.hide();
  }

  dispose(): void {
    if (this.focusTimer) clearTimeout(this.focusTimer);
    vscode.Disposable.from(...this.disposables).dispose();
    this.status.dispose();
    for (const [id, resolve] of this.pending) resolve({ type: 'translated', id, ok: false, error: 'LSTM Lab is shutting down' });
    this.pending.clear();
    void this.worker?.terminate();
    this.worker = undefined;
  }
}

/** A generated task as the pick names it (SAMPLE_TASKS in src/shared/seq2seqSamples.ts, in the display language). */
function taskText(task: SampleTask): { label: string; detail: string } {
  switch (task) {
    case 'reverse': return { label: vscode.l10n.t('Reverse a string'), detail: vscode.l10n.t('5–10 random lowercase letters, written backwards') };
    case 'dates': return { label: vscode.l10n.t('Dates to ISO 8601'), detail: vscode.l10n.t('a date in one of six formats, e.g. "3 Mar 1999" ⇒ "1999-03-03"') };
    case 'addition': return { label: vscode.l10n.t('Add two numbers'), detail: vscode.l10n.t('"12+345" ⇒ "357", numbers up to 999') };
  }
}

/** Finished runs as stored: the well-formed ones (the state may come from an older version). */
function storedRuns(value: unknown): (Seq2SeqView & { label: string })[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is Seq2SeqView & { label: string } => typeof v === 'object' && v !== null
    && typeof v.runId === 'string' && typeof v.fileName === 'string' && typeof v.label === 'string' && typeof v.summary === 'string'
    && Array.isArray(v.evals) && Array.isArray(v.examples) && Array.isArray(v.sourceGradNorms) && typeof v.status === 'string')
    .map((v) => ({ ...v, compare: [], focus: null }))
    .slice(-MAX_STORED);
}
