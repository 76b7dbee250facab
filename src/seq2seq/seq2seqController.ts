/**
 * Sequence to sequence in the editor: a generated sample to try at once, training on the open file
 * of pairs in a thread of its own (seq2seqThread.ts) with its progress in the status bar and the
 * panel's card, Stop, runs kept with their models (seq2seqRuns.ts) so that hovers, Continue and
 * the card come back after a reload, and decodings of a source line or a typed one.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConfigStore } from '../config';
import type { Log } from '../log';
import { errorMessage } from '../protocol/messages';
import type { Seq2SeqRunOptions } from '../protocol/seq2seqMessages';
import type { Seq2SeqForm } from '../protocol/seq2seqPanel';
import type { Seq2SeqView } from '../protocol/webviewProtocol';
import { sourceOfLine } from './seq2seqHover';
import { labelOf, saveModelAs, Seq2SeqRuns, summaryOf, type StoredSeq2Seq } from './seq2seqRuns';
import { documentOf, formFromSettings, startable, targetDocument, type LiveRun, type Reason, type Seq2SeqHost } from './seq2seqStart';
import { announceEnd, Seq2SeqStatus } from './seq2seqStatus';
import { Seq2SeqThread, type RunEvent, type Translation } from './seq2seqThread';

export type { Translation } from './seq2seqThread';

export { SEQ2SEQ_MODEL_KEY, SEQ2SEQ_TRAINING_KEY } from './seq2seqStatus';
export type { Seq2SeqHost } from './seq2seqStart';
const FOCUS_DEBOUNCE_MS = 250;

export class Seq2SeqController implements vscode.Disposable {
  private readonly thread: Seq2SeqThread;
  readonly runs: Seq2SeqRuns;
  /** The run training, or the last one trained in this window. */
  private run: LiveRun | undefined;
  /** The document the last model was trained on (hovers decode its lines). */
  private trained: vscode.Uri | undefined;
  private training = false;
  /** The pair on the cursor's line or typed into the card, decoded. */
  private focus: Seq2SeqView['focus'] = null;
  private readonly status = new Seq2SeqStatus();
  private onStart: ((ok: boolean) => void) | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private focusTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    scriptPath: string, wasmDir: string, storageDir: string, private readonly config: ConfigStore, private readonly host: Seq2SeqHost,
    private readonly log: Log, memory: vscode.Memento,
  ) {
    this.runs = new Seq2SeqRuns(memory, storageDir);
    this.thread = new Seq2SeqThread(scriptPath, wasmDir, log, (m) => this.onEvent(m), (code) => {
      if (this.training && this.run) this.finish('failed', `the sequence-to-sequence thread stopped (exit code ${code}); the run is lost`, null);
    });
    // After a reload, the last kept model answers hovers on its file (loaded when first asked).
    const last = this.runs.last;
    if (last?.checkpoint && last.uri) this.trained = vscode.Uri.parse(last.uri);
    this.setModelKey();
    // The card's attention map follows the cursor's line in the trained file.
    this.disposables.push(vscode.window.onDidChangeTextEditorSelection((e) => {
      if (!this.trained || e.textEditor.document.uri.toString() !== this.trained.toString()) return;
      if (this.focusTimer) clearTimeout(this.focusTimer);
      this.focusTimer = setTimeout(() => void this.follow(e.textEditor.document, e.selections[0].active.line), FOCUS_DEBOUNCE_MS);
    }));
  }

  get isTraining(): boolean { return this.training; }
  get trainedUri(): vscode.Uri | undefined { return this.trained; }

  /** The run the card shows: the one training or last trained, else the last kept. */
  private get shown(): (Seq2SeqView & { checkpoint: string | null }) | undefined {
    if (this.run) return { ...this.run.view, checkpoint: this.runs.get(this.run.runId)?.checkpoint ?? null };
    return this.kept;
  }

  /** The kept run the card shows (the one picked in its run list, else the last trained or kept). */
  private get kept(): StoredSeq2Seq | undefined {
    if (this.run) return this.runs.get(this.run.runId);
    return (this.shownId ? this.runs.get(this.shownId) : undefined) ?? this.runs.last;
  }

  private shownId: string | undefined;

  /** What the panel's card shows, with the accuracy of earlier runs on the same file to compare. */
  get view(): Seq2SeqView | null {
    const shown = this.shown;
    if (!shown) return null;
    const { checkpoint, ...view } = shown;
    return { ...view, compare: this.runs.compareWith(shown), focus: this.focus, hasModel: checkpoint !== null && !this.training, runs: this.runs.list(shown) };
  }

  /** The form's starting values: the settings. */
  get form(): Seq2SeqForm {
    return formFromSettings(this.config);
  }

  private post(): void {
    this.host.post({ type: 'seq2seq', view: this.view });
  }

  /**
   * LSTM Lab: Train Seq2Seq on File (the settings, then `overrides`: the panel's form). With
   * `resume`, the run continues that kept run's model. Resolves with the run's id once it trains.
   */
  async train(document = targetDocument(this.trained), overrides: Partial<Seq2SeqRunOptions> = {}, resume?: StoredSeq2Seq): Promise<string | undefined> {
    const ready = startable(document, this.training, this.config, overrides);
    if (!document || !ready) return undefined;
    const { text, options } = ready;
    const runId = `s2s-${Date.now().toString(36)}`;
    const fileName = path.basename(document.uri.path) || document.uri.toString();
    let end: (r: Reason) => void = () => undefined;
    const ended = new Promise<Reason>((resolve) => { end = resolve; });
    const label = resume ? vscode.l10n.t('{0}, continued', resume.label) : labelOf(options);
    const view: Seq2SeqView = {
      runId, fileName, status: 'starting', message: null, summary: summaryOf(options), step: resume?.step ?? 0, tokensPerSec: 0, evals: resume?.evals.slice() ?? [], examples: [],
      attention: null, sourceGradNorms: [], compare: [], focus: null, hasModel: false, runs: [],
    };
    const started = new Promise<string | undefined>((resolve) => {
      this.run = { runId, uri: document.uri, view, label, options, before: resume?.evals.at(-1)?.seconds ?? 0, ended, end };
      this.focus = null;
      this.setTraining(true);
      this.onStart = (ok) => resolve(ok ? runId : undefined);
    });
    this.host.showPanel();
    this.post();
    this.thread.start(runId, text, options, { save: this.runs.checkpointPath(runId), resume: resume?.checkpoint ?? null });
    this.log.info(`Sequence to sequence: training on ${fileName} (${view.summary})${resume ? `, continuing ${resume.runId}` : ''}`);
    return started;
  }

  /** LSTM Lab: Continue Seq2Seq Training: the shown run's model trains on its file for another while. */
  async continueTraining(): Promise<string | undefined> {
    const shown = this.kept;
    if (!shown?.checkpoint) {
      void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: there is no kept sequence-to-sequence model to continue. Train one with LSTM Lab: Train Seq2Seq on File.'));
      return undefined;
    }
    const document = await documentOf(shown);
    if (!document) {
      void vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab: {0} is no longer open; open the file of pairs the run trained on to continue it.', shown.fileName));
      return undefined;
    }
    return this.train(document, {}, shown);
  }

  /**
   * LSTM Lab: Compare Seq2Seq Attention: the same file trained without attention, then with it
   * (the settings' kind, or dot when they say none); the card draws the two side by side.
   */
  async compareAttention(document = targetDocument(this.trained)): Promise<void> {
    const withIt = this.config.value.seq2seq.attention === 'none' ? 'dot' : this.config.value.seq2seq.attention;
    let first: string | undefined;
    for (const attention of ['none', withIt] as const) {
      const runId = await this.train(document, { attention });
      if (!runId || !this.run) return;
      // The second run is drawn with the first beside it, whatever was ticked before.
      if (first) await this.compareRuns([first]);
      if ((await this.run.ended) !== 'completed') return;
      first = runId;
    }
  }

  /** Stops the run after its step in flight; resolves when it has ended. */
  async stop(): Promise<boolean> {
    const run = this.run;
    if (!this.training || !run) return false;
    this.thread.stop();
    await run.ended;
    return true;
  }

  /** Decodes the pair on `line` of the trained file into the card's focus. */
  private async follow(document: vscode.TextDocument, line: number): Promise<void> {
    if (this.trained?.toString() !== document.uri.toString() || line >= document.lineCount) return;
    const text = document.lineAt(line).text;
    const source = sourceOfLine(text);
    if (source.trim() === '') return;
    const rest = text.slice(source.length);
    const target = rest.startsWith('\t') ? rest.slice(1) : rest.startsWith(' => ') ? rest.slice(4) : null;
    await this.decodeInto(source, target, line);
  }

  /** A source typed into the card, decoded into its focus. */
  decodeTyped(source: string): Promise<void> {
    return this.decodeInto(source, null, null);
  }

  private async decodeInto(source: string, target: string | null, line: number | null): Promise<void> {
    const t = await this.translate(source);
    if (!t.ok) {
      if (line === null) void vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab: no decoding: {0}', t.error));
      return;
    }
    this.focus = { line, source, target, output: t.output, attention: t.attention };
    this.post();
  }

  /** The model's decoding of `source` (greedy, or the beam width of the settings); a kept model is loaded first. */
  async translate(source: string): Promise<Translation> {
    const problem = await this.ensureModel();
    if (problem) return { type: 'translated', id: 0, ok: false, error: problem };
    return this.thread.translate(source);
  }

  /** Makes the shown run's kept model the thread's, unless it holds it; the reason it cannot, or null. */
  private ensureModel(): Promise<string | null> {
    if (this.training) return Promise.resolve(null);
    const want = this.kept;
    if (!want || this.thread.holds === want.runId) return Promise.resolve(null);
    if (!want.checkpoint) return Promise.resolve(this.thread.holds ? null : 'no sequence-to-sequence model yet: train one on a file of pairs');
    return this.thread.hold(want.runId, want.checkpoint);
  }

  /** Save Model… on the card: a copy of the shown run's kept model where the user says. */
  saveCheckpointAs(): Promise<void> {
    return saveModelAs(this.training ? undefined : this.kept);
  }

  /** The run list's Show: a kept run becomes the card's, and its model decodes hovers on its file. */
  show(runId: string): void {
    const r = this.runs.get(runId);
    if (!r || this.training) return;
    this.run = undefined;
    this.shownId = runId;
    this.focus = null;
    this.trained = r.checkpoint && r.uri ? vscode.Uri.parse(r.uri) : undefined;
    this.post();
  }

  /** The run list's Delete, once the user confirms: the run and its model go. */
  async deleteRun(runId: string): Promise<void> {
    const r = this.runs.get(runId);
    if (!r || this.run?.runId === runId && this.training) return;
    const yes = vscode.l10n.t('Delete');
    if (await vscode.window.showWarningMessage(vscode.l10n.t('Delete the sequence-to-sequence run {0} on {1} and its model?', r.label, r.fileName), { modal: true }, yes) !== yes) return;
    await this.runs.remove(runId);
    if (this.run?.runId === runId) this.run = undefined;
    if (this.shownId === runId) this.shownId = undefined;
    if (!this.kept?.checkpoint) this.trained = undefined;
    this.setModelKey();
    this.post();
  }

  /** The run list's ticks: the runs drawn beside the shown one. */
  async compareRuns(runIds: readonly string[]): Promise<void> {
    await this.runs.select(runIds);
    this.post();
  }

  /**
   * A sequence-to-sequence checkpoint file becomes a kept run whose model decodes the lines of
   * `document` (Load Checkpoint… hands these over). Throws with the reason it cannot.
   */
  async loadFrom(source: vscode.Uri, document: vscode.TextDocument | undefined): Promise<void> {
    if (this.training) throw new Error(vscode.l10n.t('stop the sequence-to-sequence run first'));
    const run = await this.runs.load(source, document, (runId, file) => this.thread.load(runId, file));
    this.run = undefined;
    this.shownId = run.runId;
    this.focus = null;
    this.trained = document?.uri;
    this.setModelKey();
    this.host.showPanel();
    this.post();
    this.log.info(`Sequence to sequence: loaded ${source.fsPath} as ${run.runId} (${run.summary}, step ${run.step})`);
  }

  private onEvent(m: RunEvent): void {
    const run = this.run;
    if (!run || m.runId !== run.runId) return;
    const v = run.view;
    switch (m.type) {
      case 'started':
        v.status = 'running';
        run.options = m.options;
        v.summary = `${summaryOf(m.options)}${m.fromStep > 0 ? ` · ${vscode.l10n.t('continued from step {0}', m.fromStep)}` : ''} · ${m.trainPairs.toLocaleString('en')} training pairs, ${m.heldOutPairs.toLocaleString('en')} held out, vocabulary ${m.vocabSize}, batch ${m.batch}`;
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
        // Nothing trained: the card shows the refusal, hovers keep the model they had.
        this.thread.holds = null;
        this.setTraining(false);
        this.onStart?.(false);
        this.onStart = undefined;
        run.end('failed');
        break;
      case 'progress':
        v.step = m.step;
        v.tokensPerSec = m.tokensPerSec;
        this.status.progress(v);
        break;
      case 'eval':
        // A continued run's first evaluation is its parent's last, already drawn.
        if (m.eval.step > (v.evals.at(-1)?.step ?? -1)) v.evals.push({ ...m.eval, seconds: m.eval.seconds + run.before });
        v.examples = m.examples;
        v.attention = m.attention;
        v.sourceGradNorms = m.sourceGradNorms;
        v.step = m.eval.step;
        this.log.info(`Sequence to sequence: ${m.eval.seconds.toFixed(0)} s, step ${m.eval.step}: held-out exact match ${(100 * m.eval.exactMatch).toFixed(1)}%, token accuracy ${(100 * m.eval.tokenAccuracy).toFixed(1)}%`);
        break;
      case 'done':
        this.finish(m.reason, m.message, m.checkpoint);
        return;
    }
    this.post();
  }

  private finish(reason: Reason, message: string | null, checkpoint: string | null): void {
    const run = this.run!;
    const v = run.view;
    v.status = reason;
    if (message) v.message = message;
    this.setTraining(false);
    // A thread that died before the run started ends the wait of whoever started it.
    this.onStart?.(false);
    this.onStart = undefined;
    const kept = v.evals.length > 0 || checkpoint !== null
      ? this.runs.keep({ ...v, label: run.label, uri: run.uri.toString(), checkpoint, options: run.options })
      : Promise.resolve();
    void kept.then(() => {
      this.setModelKey();
      this.post();
    }, (e) => this.log.error(`Sequence to sequence: could not keep the run: ${errorMessage(e)}`));
    announceEnd(this.log, v, reason, message, checkpoint);
    run.end(reason);
  }

  private setTraining(on: boolean): void {
    this.training = on;
    this.status.training(on);
  }

  private setModelKey(): void {
    this.status.hasModel(this.runs.all.some((r) => r.checkpoint !== null));
  }

  dispose(): void {
    if (this.focusTimer) clearTimeout(this.focusTimer);
    vscode.Disposable.from(...this.disposables).dispose();
    this.status.dispose();
    this.thread.dispose();
  }
}

