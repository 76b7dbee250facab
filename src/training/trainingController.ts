/**
 * Runs training for the extension: takes a document, asks the engine worker to train on it, and
 * feeds the status bar, the progress notification, the panel and the log with what happens.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConfigStore } from '../config';
import { checkTrainingText } from '../shared/textCheck';
import type { Log } from '../log';
import type { PanelState } from '../panel/panelState';
import type { LabPanel } from '../panel/labPanel';
import { errorMessage } from '../protocol/messages';
import type { FormConfig, RunStatus } from '../protocol/webviewProtocol';
import type { DoneEvent, WorkerToHost } from '../protocol/workerProtocol';
import type { TrainConfig } from '../protocol/runConfig';
import type { RunLibrary } from '../runs/runLibrary';
import type { RunRecord } from '../runs/runStore';
import { settingsProblemsMessage, validateTrainConfig } from '../protocol/runConfig';
import { formatRate, type TrainingStatusBar } from '../statusBar';
import type { EngineWorker } from '../worker/engineWorker';

export interface TrainOptions {
  /** What to do when a run is already going, instead of asking. */
  ifRunning?: 'stop' | 'keep';
  /** Settings that replace the user's for this run (from the panel's form, or a comparison). */
  config?: Partial<FormConfig>;
  /** Continue this stored run from its checkpoint. */
  resume?: RunRecord;
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
  /** A stored checkpoint to load before the next prediction, trace or sample (after a reload or a crash). */
  private pendingModel: { runId: string; path: string } | undefined;
  private loading: Promise<void> | undefined;
  private readonly ends = new Map<string, Promise<void>>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly started = new vscode.EventEmitter<vscode.Uri>();
  /** Fires with the document when a run starts training on it (its text as of now is the model's). */
  readonly onDidStartRun = this.started.event;

  constructor(
    private readonly worker: EngineWorker,
    private readonly config: ConfigStore,
    private readonly state: PanelState,
    private readonly panel: LabPanel,
    private readonly status: TrainingStatusBar,
    private readonly log: Log,
    private readonly library: RunLibrary,
  ) {
    const onEvent = (e: WorkerToHost) => this.onWorkerEvent(e);
    const onCrash = (d: string) => this.onWorkerCrash(d);
    worker.on('event', onEvent);
    worker.on('crash', onCrash);
    this.disposables.push(this.started, { dispose: () => { worker.off('event', onEvent); worker.off('crash', onCrash); } });
  }

  get isTraining(): boolean {
    return this.active !== undefined;
  }

  /** The document the current model was trained on. */
  get trainedUri(): vscode.Uri | undefined {
    return this.trained;
  }

  /** Resolves when run `runId` has ended (at once for a run that is not going). */
  ended(runId: string): Promise<void> {
    return this.ends.get(runId) ?? Promise.resolve();
  }

  /**
   * Makes a stored run the one hovers, traces and samples ask: its checkpoint is loaded into the
   * engine when first needed.
   */
  adoptStored(r: RunRecord): void {
    if (this.active) return;
    try {
      this.trained = vscode.Uri.parse(r.documentUri, true);
    } catch {
      return;
    }
    this.trainedTokens = r.config.tokens;
    this.pendingModel = r.checkpointStep !== null ? { runId: r.run.runId, path: this.library.store.checkpointPath(r.run.runId) } : undefined;
  }

  /** Resolves once the engine has a model to answer with (a stored run's is loaded the first time). */
  ready(): Promise<void> {
    return this.ensureModel();
  }

  private async ensureModel(): Promise<void> {
    const pending = this.pendingModel;
    if (!pending || this.active) return;
    this.loading ??= this.worker.load(pending.runId, pending.path).then(
      (loaded) => { this.log.info(`Loaded the model of ${pending.runId} (step ${loaded.step}) from its checkpoint`); },
      (e) => {
        this.log.warn(`The model of ${pending.runId} could not be loaded: ${errorMessage(e)}`);
        if (!this.active) this.trained = undefined;
      },
    ).finally(() => {
      if (this.pendingModel === pending) this.pendingModel = undefined;
      this.loading = undefined;
    });
    await this.loading;
  }

  /** The run's settings: the user's, with the form's or the comparison's values over them. */
  private runConfig(base: TrainConfig, over: Partial<FormConfig> | undefined): { config: TrainConfig; problems: string[] } {
    if (!over) return { config: base, problems: [] };
    const { config, problems } = validateTrainConfig({ ...base, ...over }, (key) => key);
    return { config, problems: problems.filter((p) => !p.includes('both 0')) };
  }

  /**
   * Continues the text at the cursor with a sample from the current model (primed with the text
   * before the cursor), inserted as one edit that a single undo removes. Returns the text.
   */
  async generateAtCursor(): Promise<string | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showWarningMessage('LSTM Lab: put the cursor in a file first.');
      return undefined;
    }
    if (!this.trained && !this.pendingModel) {
      void vscode.window.showInformationMessage('LSTM Lab: train (or load) a model first; then it can write at the cursor.');
      return undefined;
    }
    const { length, temperature } = this.config.value.generate;
    const doc = editor.document;
    const at = editor.selection.active;
    const version = doc.version;
    const before = doc.getText(new vscode.Range(doc.positionAt(Math.max(0, doc.offsetAt(at) - 1024)), at));
    let text: string;
    try {
      text = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'LSTM Lab: generating' }, async () => {
        await this.ensureModel();
        return (await this.worker.sample({ length, temperature, seed: Date.now() % 2 ** 31, prime: before })).text;
      });
    } catch (e) {
      void vscode.window.showErrorMessage(`LSTM Lab could not generate text: ${errorMessage(e)}`);
      return undefined;
    }
    if (doc.version !== version || doc.isClosed) {
      void vscode.window.showWarningMessage('LSTM Lab: the file changed while the text was generated; nothing was inserted.');
      return undefined;
    }
    const inserted = await editor.edit((b) => b.insert(at, text));
    return inserted ? text : undefined;
  }

  /** Saves the current model where the user says (between two steps when training). */
  async saveCheckpoint(): Promise<void> {
    const shown = this.library.current;
    const snap = this.state.snapshot();
    if (!shown || !snap.run) {
      void vscode.window.showInformationMessage('LSTM Lab: train or load a model first; then it can be saved.');
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `${snap.run.fileName.replace(/\.[^.]*$/, '') || 'model'}-${snap.run.cell}-step${this.state.lastStep}.ckpt`;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters: { 'LSTM Lab checkpoint': ['ckpt'] }, title: 'Save LSTM Lab checkpoint',
    });
    if (!target) return;
    if (target.scheme !== 'file') {
      void vscode.window.showErrorMessage('LSTM Lab saves checkpoints to local files only.');
      return;
    }
    try {
      if (this.active || !this.pendingModel) {
        await this.ensureModel();
        const saved = await this.worker.save(target.fsPath);
        this.log.info(`Saved ${saved.runId} at step ${saved.step} to ${target.fsPath}`);
      } else {
        // The engine has not loaded this run: its stored checkpoint is the model.
        await vscode.workspace.fs.copy(vscode.Uri.file(this.pendingModel.path), target, { overwrite: true });
        this.log.info(`Copied the checkpoint of ${this.pendingModel.runId} to ${target.fsPath}`);
      }
      void vscode.window.showInformationMessage(`LSTM Lab: saved ${path.basename(target.fsPath)}.`);
    } catch (e) {
      void vscode.window.showErrorMessage(`LSTM Lab could not save the checkpoint: ${errorMessage(e)}`);
    }
  }

  /**
   * Loads a checkpoint the user picks: it becomes a run of this workspace (shown in the panel, in
   * the run list, resumable) whose model answers hovers on the active document.
   */
  async loadCheckpoint(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('LSTM Lab: loading checkpoints is disabled in an untrusted workspace. Trust the workspace to load one; training on open files still works.');
      return;
    }
    if (this.active) {
      void vscode.window.showWarningMessage('LSTM Lab: stop the current run before loading a checkpoint.');
      return;
    }
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'LSTM Lab checkpoint': ['ckpt'] }, title: 'Load LSTM Lab checkpoint' });
    const source = picked?.[0];
    if (!source) return;
    const doc = vscode.window.activeTextEditor?.document ?? vscode.window.visibleTextEditors[0]?.document;
    const runId = newRunId();
    const stored = this.library.store.checkpointPath(runId);
    try {
      await vscode.workspace.fs.createDirectory(vscode.Uri.file(path.dirname(stored)));
      await vscode.workspace.fs.copy(source, vscode.Uri.file(stored), { overwrite: false });
      const loaded = await this.worker.load(runId, stored);
      const last = loaded.train[loaded.train.length - 1];
      this.library.show({
        version: 1,
        run: {
          runId, fileName: doc ? path.basename(doc.uri.path) : path.basename(source.path), startedAt: Date.now(), cell: loaded.config.cell, layers: loaded.config.layers,
          hiddenSize: loaded.config.hiddenSize, seqLength: loaded.config.seqLength, batchSize: loaded.config.batchSize, learningRate: loaded.config.learningRate,
          vocabSize: loaded.vocabSize, trainTokens: 0, valTokens: 0,
        },
        config: loaded.config, documentUri: doc?.uri.toString() ?? source.toString(), status: 'completed',
        message: `Loaded from ${path.basename(source.path)} (step ${loaded.step}${last ? `, loss ${last.loss.toFixed(3)}` : ''}).`,
        train: loaded.train, val: loaded.val, gradHistory: [], sample: null, bestValLoss: loaded.bestValLoss, checkpointStep: loaded.step, updatedAt: Date.now(),
      });
      await this.library.persistNow();
      this.trained = doc?.uri;
      this.trainedTokens = loaded.config.tokens;
      this.pendingModel = undefined;
      this.panel.show(true);
      this.log.info(`Loaded ${source.fsPath} as ${runId}: ${loaded.config.cell} ${loaded.config.layers}×${loaded.config.hiddenSize}, step ${loaded.step}`);
    } catch (e) {
      await vscode.workspace.fs.delete(vscode.Uri.file(stored)).then(undefined, () => undefined);
      void vscode.window.showErrorMessage(`LSTM Lab could not load ${path.basename(source.path)}: ${errorMessage(e)}`);
    }
  }

  /** Continues a stored run from its checkpoint, on its document, for another budget. */
  async resume(runId: string): Promise<string | undefined> {
    let r: RunRecord;
    try {
      r = await this.library.store.get(runId);
    } catch (e) {
      void vscode.window.showErrorMessage(`LSTM Lab cannot resume ${runId}: ${errorMessage(e)}`);
      return undefined;
    }
    if (r.checkpointStep === null) {
      void vscode.window.showWarningMessage(`LSTM Lab: ${r.run.fileName} (${r.run.cell}) has no checkpoint to resume from; train it again instead.`);
      return undefined;
    }
    let doc: vscode.TextDocument;
    try {
      doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(r.documentUri, true));
    } catch (e) {
      void vscode.window.showErrorMessage(`LSTM Lab cannot resume: ${r.run.fileName} cannot be opened (${errorMessage(e)}).`);
      return undefined;
    }
    return this.train(doc, { resume: r });
  }

  /**
   * Why there is no document to train on. A file over about 50 MB is shown in an editor tab, but
   * VS Code does not pass its text to extensions: say so rather than "open a file".
   */
  private async noDocumentReason(): Promise<string> {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputText) {
      try {
        const { size } = await vscode.workspace.fs.stat(input.uri);
        if (size > 50 * 1024 * 1024) {
          return `LSTM Lab: ${path.basename(input.uri.path)} is ${(size / 1048576).toFixed(0)} MB, more than VS Code passes to extensions (50 MB). ` +
            'Copy a part of it into a new file and train on that.';
        }
      } catch {
        // Not readable: fall through to the general advice.
      }
    }
    return 'LSTM Lab: open a file first, then run "Train LSTM on File" on it.';
  }

  /**
   * Trains on `document`, by default the active editor's (or, when the panel has focus, the
   * visible editor's). Returns the run id, or undefined when nothing was started.
   */
  async train(document?: vscode.TextDocument, options: TrainOptions = {}): Promise<string | undefined> {
    const doc = document ?? vscode.window.activeTextEditor?.document ?? vscode.window.visibleTextEditors[0]?.document;
    if (!doc) {
      void vscode.window.showWarningMessage(await this.noDocumentReason());
      return undefined;
    }
    // A checkpoint being loaded for hovers must not land after this run's model.
    await this.loading;
    // Checked before anything else: a file that cannot be trained on leaves a running run alone.
    const fileName = path.basename(doc.uri.path) || doc.uri.toString();
    const check = checkTrainingText(doc.getText(), this.config.value.maxCharacters);
    if (!check.ok) {
      this.log.warn(`Not training on ${fileName}: ${check.reason}`);
      void vscode.window.showErrorMessage(`LSTM Lab cannot train on ${fileName}. ${check.reason}`);
      return undefined;
    }
    if (this.active) {
      const choice = options.ifRunning ?? await this.askAboutRunningRun(doc);
      if (choice !== 'stop') return undefined;
      await this.stop();
    }
    const cfg = this.config.value;
    const resume = options.resume;
    const settings = resume ? { ...resume.config, maxSeconds: cfg.train.maxSeconds, maxSteps: cfg.train.maxSteps } : cfg.train;
    const { config: trainConfig, problems } = this.runConfig(settings, options.config);
    if (problems.length > 0) {
      void vscode.window.showErrorMessage(`LSTM Lab did not start: ${problems.join(' ')}`);
      return undefined;
    }
    if (cfg.problems.length > 0) {
      cfg.problems.forEach((p) => this.log.warn(p));
      void vscode.window.showWarningMessage(`LSTM Lab: ${settingsProblemsMessage(cfg.problems)}`, 'Open Settings')
        .then((b) => { if (b) void vscode.commands.executeCommand('workbench.action.openSettings', 'lstmLab'); });
    }
    if (check.truncated) {
      const msg = `${fileName} has ${check.originalLength.toLocaleString('en')} characters; training on the first ${check.text.length.toLocaleString('en')} (setting lstmLab.data.maxCharacters).`;
      this.log.info(msg);
      void vscode.window.showInformationMessage(`LSTM Lab: ${msg}`);
    }
    const runId = resume?.run.runId ?? newRunId();
    this.status.starting(fileName);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    this.ends.set(runId, finished);
    this.active = { runId, uri: doc.uri, fileName, lastStep: 0, lastLoss: NaN, finish };
    this.pendingModel = undefined;
    void vscode.commands.executeCommand('setContext', 'lstmLab.training', true);
    this.panel.show(true);
    this.log.info(`Run ${runId}: ${resume ? `resuming from step ${resume.checkpointStep} on` : 'training on'} ${doc.uri.toString()} (${check.text.length.toLocaleString('en')} characters) with ${JSON.stringify(trainConfig)}`);
    try {
      const checkpointPath = this.library.store.checkpointPath(runId);
      const accepted = await this.worker.train({
        runId, text: check.text, config: trainConfig, checkpointPath, checkpointEveryMs: cfg.checkpointEverySeconds * 1000,
        resumeFrom: resume ? checkpointPath : undefined,
      });
      accepted.notes.forEach((n) => this.log.info(n));
      this.log.info(`Run ${runId}: vocabulary ${accepted.vocabSize}, ${accepted.parameters.toLocaleString('en')} parameters, ` +
        `${accepted.trainTokens.toLocaleString('en')} training + ${accepted.valTokens.toLocaleString('en')} validation tokens, backend ${accepted.backend}`);
      this.trained = doc.uri;
      this.trainedTokens = trainConfig.tokens;
      this.started.fire(doc.uri);
      this.library.begin({
        runId, fileName, startedAt: resume?.run.startedAt ?? Date.now(), cell: trainConfig.cell, layers: trainConfig.layers, hiddenSize: trainConfig.hiddenSize,
        seqLength: accepted.seqLength, batchSize: accepted.batchSize, learningRate: trainConfig.learningRate, vocabSize: accepted.vocabSize,
        trainTokens: accepted.trainTokens, valTokens: accepted.valTokens,
      }, trainConfig, doc.uri.toString(), resume && historyUpTo(resume, accepted.startStep));
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
      await this.ensureModel();
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
        this.library.touched(e.runId);
        const last = e.points[e.points.length - 1];
        if (run && run.runId === e.runId && last) {
          run.lastStep = last.step;
          run.lastLoss = last.loss;
          this.status.running(last.step, last.loss, e.charsPerSec);
        }
        break;
      }
      case 'val':
        this.panel.post(this.state.addVal(e.runId, { step: e.step, loss: e.loss, seconds: e.seconds }));
        this.library.validated(e.runId, e.loss);
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
      case 'checkpoint':
        this.library.checkpointWritten(e.runId, e.step);
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
    // The model died with the worker; its last checkpoint, if any, answers from now on.
    const shown = this.library.current;
    if (shown && shown.checkpointStep !== null) this.pendingModel = { runId: shown.runId, path: this.library.store.checkpointPath(shown.runId) };
    else this.trained = undefined;
    const run = this.active;
    if (!run) return;
    void vscode.window.showErrorMessage(`LSTM Lab: ${description}. The run on ${run.fileName} is marked failed; you can start a new one.`);
    this.endRun(run.runId, 'failed', description);
  }

  private endRun(runId: string, status: RunStatus, message: string): void {
    this.panel.post(this.state.setStatus(runId, status, message));
    void this.library.finished(runId);
    this.ends.delete(runId);
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
    void this.library.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

/**
 * A stored run as its checkpoint left it: the record is written more often than the checkpoint,
 * so what came after the checkpoint's step is trained again and must not appear twice.
 */
function historyUpTo(r: RunRecord, step: number): RunRecord {
  const upTo = <T extends { step: number }>(xs: T[]) => xs.filter((x) => x.step <= step);
  const val = upTo(r.val);
  const best = val.reduce<number | null>((m, p) => (m === null || p.loss < m ? p.loss : m), null);
  return { ...r, train: upTo(r.train), val, gradHistory: upTo(r.gradHistory), bestValLoss: best, checkpointStep: step };
}

/** Run ids sort by start time and are unique per millisecond. */
function newRunId(): string {
  return `run-${Date.now().toString(36)}`;
}
