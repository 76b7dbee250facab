/**
 * Runs training for the extension: takes a document, asks the engine worker to train on it, and
 * feeds the status bar, the progress notification, the panel and the log with what happens.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConfigStore } from '../config';
import { checkTrainingText } from '../engine/textCheck';
import type { Log } from '../log';
import type { PanelState } from '../panel/panelState';
import type { LabPanel } from '../panel/labPanel';
import { errorMessage } from '../protocol/messages';
import type { RunStatus } from '../protocol/webviewProtocol';
import type { DoneEvent, PredictResult, WorkerToHost } from '../protocol/workerProtocol';
import { formatRate, type TrainingStatusBar } from '../statusBar';
import type { EngineWorker } from '../worker/engineWorker';

export interface TrainOptions {
  /** What to do when a run is already going, instead of asking. */
  ifRunning?: 'stop' | 'keep';
}

interface ActiveRun {
  runId: string;
  uri: vscode.Uri;
  fileName: string;
  lastStep: number;
  lastLoss: number;
  finish: () => void;
}

export class TrainingController implements vscode.Disposable {
  private active: ActiveRun | undefined;
  private trained: vscode.Uri | undefined;
  private trainedTokens: 'char' | 'word' = 'char';
  private sampling = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly worker: EngineWorker,
    private readonly config: ConfigStore,
    private readonly state: PanelState,
    private readonly panel: LabPanel,
    private readonly status: TrainingStatusBar,
    private readonly log: Log,
  ) {
    const onEvent = (e: WorkerToHost) => this.onWorkerEvent(e);
    const onCrash = (d: string) => this.onWorkerCrash(d);
    worker.on('event', onEvent);
    worker.on('crash', onCrash);
    this.disposables.push({ dispose: () => { worker.off('event', onEvent); worker.off('crash', onCrash); } });
  }

  get isTraining(): boolean {
    return this.active !== undefined;
  }

  /** The document the current model was trained on. */
  get trainedUri(): vscode.Uri | undefined {
    return this.trained;
  }

  /** Whether the current model reads characters (hover predictions are per character). */
  get trainedOnCharacters(): boolean {
    return this.trainedTokens === 'char';
  }

  predict(context: string, next: string | null, topK: number): Promise<PredictResult> {
    return this.worker.predict({ context, next, topK });
  }

  /**
   * Trains on `document`, by default the active editor's (or, when the panel has focus, the
   * visible editor's). Returns the run id, or undefined when nothing was started.
   */
  async train(document?: vscode.TextDocument, options: TrainOptions = {}): Promise<string | undefined> {
    const doc = document ?? vscode.window.activeTextEditor?.document ?? vscode.window.visibleTextEditors[0]?.document;
    if (!doc) {
      void vscode.window.showWarningMessage('LSTM Lab: open a file first, then run "Train LSTM on File" on it.');
      return undefined;
    }
    if (this.active) {
      const choice = options.ifRunning ?? await this.askAboutRunningRun(doc);
      if (choice !== 'stop') return undefined;
      await this.stop();
    }
    const cfg = this.config.value;
    if (cfg.problems.length > 0) {
      cfg.problems.forEach((p) => this.log.warn(p));
      void vscode.window.showWarningMessage(`LSTM Lab: some settings are invalid and were replaced by defaults. ${cfg.problems[0]}`, 'Open Settings')
        .then((b) => { if (b) void vscode.commands.executeCommand('workbench.action.openSettings', 'lstmLab'); });
    }
    const fileName = path.basename(doc.uri.path) || doc.uri.toString();
    const check = checkTrainingText(doc.getText(), cfg.maxCharacters);
    if (!check.ok) {
      this.log.warn(`Not training on ${fileName}: ${check.reason}`);
      void vscode.window.showErrorMessage(`LSTM Lab cannot train on ${fileName}. ${check.reason}`);
      return undefined;
    }
    if (check.truncated) {
      const msg = `${fileName} has ${check.originalLength.toLocaleString('en')} characters; training on the first ${check.text.length.toLocaleString('en')} (setting lstmLab.data.maxCharacters).`;
      this.log.info(msg);
      void vscode.window.showInformationMessage(`LSTM Lab: ${msg}`);
    }
    const runId = `run-${Date.now().toString(36)}`;
    this.status.starting(fileName);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    this.active = { runId, uri: doc.uri, fileName, lastStep: 0, lastLoss: NaN, finish };
    void vscode.commands.executeCommand('setContext', 'lstmLab.training', true);
    this.panel.show(true);
    this.log.info(`Run ${runId}: training on ${doc.uri.toString()} (${check.text.length.toLocaleString('en')} characters) with ${JSON.stringify(cfg.train)}`);
    try {
      const accepted = await this.worker.train({ runId, text: check.text, config: cfg.train });
      accepted.notes.forEach((n) => this.log.info(n));
      this.log.info(`Run ${runId}: vocabulary ${accepted.vocabSize}, ${accepted.parameters.toLocaleString('en')} parameters, ` +
        `${accepted.trainTokens.toLocaleString('en')} training + ${accepted.valTokens.toLocaleString('en')} validation tokens, backend ${accepted.backend}`);
      this.trained = doc.uri;
      this.trainedTokens = cfg.train.tokens;
      this.panel.post(this.state.beginRun({
        runId, fileName, startedAt: Date.now(), cell: cfg.train.cell, layers: cfg.train.layers, hiddenSize: cfg.train.hiddenSize, seqLength: accepted.seqLength,
        batchSize: accepted.batchSize, learningRate: cfg.train.learningRate, vocabSize: accepted.vocabSize,
        trainTokens: accepted.trainTokens, valTokens: accepted.valTokens,
      }));
    } catch (e) {
      this.endRun(runId, 'failed', `Training could not start: ${errorMessage(e)}`);
      return undefined;
    }
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `LSTM Lab: training on ${fileName}`, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => void this.stop());
        const timer = setInterval(() => {
          const a = this.active;
          if (a && a.runId === runId && a.lastStep > 0) progress.report({ message: `step ${a.lastStep}, loss ${a.lastLoss.toFixed(3)}` });
        }, 500);
        return finished.finally(() => clearInterval(timer));
      },
    );
    return runId;
  }

  /** Shows the character at `offset` of the trained document in its editor. */
  async reveal(offset: number): Promise<void> {
    const uri = this.trained;
    if (!uri) return;
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (!document) return;
    const at = document.positionAt(offset);
    // positionAt clamps: an offset past the end is not a position of this document any more.
    if (document.offsetAt(at) !== offset) return;
    const shown = vscode.window.visibleTextEditors.find((e) => e.document === document);
    const editor = await vscode.window.showTextDocument(document, { viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One, preserveFocus: false });
    // A cursor, not a selection: the heatmap then centres on it instead of tracing one character.
    editor.selection = new vscode.Selection(at, at);
    editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  /** A sample from the current model at `temperature`, shown in the panel. */
  async sampleNow(temperature: number): Promise<void> {
    const runId = this.state.runId;
    // One sample at a time: each holds up training in the engine.
    if (!runId || !this.trained || this.sampling) return;
    this.sampling = true;
    try {
      const r = await this.worker.sample({ length: this.trainedTokens === 'word' ? 60 : 240, temperature, seed: Date.now() % 2 ** 31 });
      this.panel.post(this.state.setSample(r.runId, this.state.lastStep, r.text));
    } catch (e) {
      this.log.warn(`Sampling failed: ${errorMessage(e)}`);
    } finally {
      this.sampling = false;
    }
  }

  /** Asks the engine to stop; resolves when the run has ended (or after a few seconds). */
  async stop(): Promise<void> {
    const run = this.active;
    if (!run) return;
    const ended = new Promise<void>((resolve) => {
      const check = setInterval(() => { if (this.active?.runId !== run.runId) { clearInterval(check); resolve(); } }, 25);
      setTimeout(() => { clearInterval(check); resolve(); }, 10_000);
    });
    try {
      await this.worker.stop();
    } catch (e) {
      this.log.warn(`Stop request failed: ${errorMessage(e)}`);
    }
    await ended;
    if (this.active?.runId === run.runId) {
      // The worker did not answer: end it so that the next run starts clean.
      await this.worker.terminate();
      this.trained = undefined;
      this.endRun(run.runId, 'failed', 'The engine did not stop in time and was restarted.');
    }
  }

  /** The document to train on again from the panel: the last trained one while it is open. */
  lastDocument(): vscode.TextDocument | undefined {
    if (this.trained) {
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === this.trained!.toString());
      if (doc) return doc;
    }
    return vscode.window.visibleTextEditors[0]?.document;
  }

  private async askAboutRunningRun(doc: vscode.TextDocument): Promise<'stop' | 'keep'> {
    const stopIt = 'Stop It and Train';
    const answer = await vscode.window.showWarningMessage(
      `LSTM Lab is already training on ${this.active?.fileName}. Stop that run and train on ${path.basename(doc.uri.path)}?`,
      stopIt, 'Keep Current Run');
    return answer === stopIt ? 'stop' : 'keep';
  }

  private onWorkerEvent(e: WorkerToHost): void {
    const run = this.active;
    switch (e.type) {
      case 'steps': {
        this.panel.post(this.state.addSteps(e.runId, e.points, e.charsPerSec));
        const last = e.points[e.points.length - 1];
        if (run && run.runId === e.runId && last) {
          run.lastStep = last.step;
          run.lastLoss = last.loss;
          this.status.running(last.step, last.loss, e.charsPerSec);
        }
        break;
      }
      case 'val':
        this.panel.post(this.state.addVal(e.runId, { step: e.step, loss: e.loss }));
        this.log.info(`Run ${e.runId}: step ${e.step}, validation loss ${e.loss.toFixed(4)}`);
        break;
      case 'sample':
        this.panel.post(this.state.setSample(e.runId, e.step, e.text));
        break;
      case 'gradByLag':
        this.panel.post(this.state.setGradFlow(e.runId, { step: e.step, h: e.h, c: e.c, clipped: e.clipped }));
        break;
      case 'done':
        this.onDone(e);
        break;
      case 'log':
        this.log[e.level](e.message);
        break;
      case 'reply':
        break;
    }
  }

  private onDone(e: DoneEvent): void {
    const loss = e.trainLoss === null ? 'n/a' : e.trainLoss.toFixed(3);
    const val = e.valLoss === null ? 'n/a' : e.valLoss.toFixed(3);
    const summary = `${e.steps} steps, loss ${loss}, validation ${val}, ${formatRate(e.charsPerSec)} chars/s`;
    this.log.info(`Run ${e.runId} ${e.reason}: ${summary}${e.message ? `. ${e.message}` : ''}`);
    if (e.reason === 'diverged' || e.reason === 'failed') {
      void vscode.window.showErrorMessage(`LSTM Lab: ${e.message ?? 'training failed.'}`, 'Show Log').then((b) => { if (b) this.log.show(); });
    }
    this.endRun(e.runId, e.reason, e.message ?? summary);
  }

  private onWorkerCrash(description: string): void {
    this.log.error(description);
    // The model died with the worker: hovers have nothing to ask until the next run.
    this.trained = undefined;
    const run = this.active;
    if (!run) return;
    void vscode.window.showErrorMessage(`LSTM Lab: ${description}. The run on ${run.fileName} is marked failed; you can start a new one.`);
    this.endRun(run.runId, 'failed', description);
  }

  private endRun(runId: string, status: RunStatus, message: string): void {
    this.panel.post(this.state.setStatus(runId, status, message));
    const run = this.active;
    if (!run || run.runId !== runId) return;
    this.active = undefined;
    void vscode.commands.executeCommand('setContext', 'lstmLab.training', false);
    const label = status === 'completed' ? 'done' : status;
    this.status.finished(`LSTM ${label}`, `Last run on ${run.fileName}: ${message}`);
    run.finish();
  }

  dispose(): void {
    this.active?.finish();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
