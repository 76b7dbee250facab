/**
 * A training run's life cycle in the extension: checks the document and the settings, starts the
 * run in the engine worker (fresh or resumed), follows it with a progress notification, stops it,
 * and ends it (done, diverged, failed, crashed). What its events show is runEvents.ts; the model
 * that answers hovers is currentModel.ts; generation and checkpoint files have files of their own.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConfigStore } from '../config';
import type { Log } from '../log';
import type { PanelState } from '../panel/panelState';
import type { LabPanel } from '../panel/labPanel';
import { errorMessage } from '../protocol/messages';
import { settingsProblemsMessage } from '../protocol/runConfig';
import type { FormConfig, RunStatus } from '../protocol/webviewProtocol';
import type { DoneEvent, WorkerToHost } from '../protocol/workerProtocol';
import type { RunLibrary } from '../runs/runLibrary';
import type { RunRecord } from '../runs/runStore';
import { checkTrainingText } from '../shared/textCheck';
import type { TrainingStatusBar } from '../statusBar';
import type { EngineWorker } from '../worker/engineWorker';
import { loadCheckpointFrom, saveCheckpointAs, type CheckpointFilesContext } from './checkpointFiles';
import { CurrentModel } from './currentModel';
import { doneSummary, showRunEvent, type ActiveRun } from './runEvents';
import { historyUpTo, newRunId, noDocumentReason, runSettings } from './runStart';
import { TextGeneration } from './textGeneration';

/** Context key: a model (trained, training or stored) answers for a file. */
export const HAS_MODEL_KEY = 'lstmLab.hasModel';

export interface TrainOptions {
  /** What to do when a run is already going, instead of asking. */
  ifRunning?: 'stop' | 'keep';
  /** Settings that replace the user's for this run (from the panel's form, or a comparison). */
  config?: Partial<FormConfig>;
  /** Continue this stored run from its checkpoint. */
  resume?: RunRecord;
}

export class TrainingController implements vscode.Disposable {
  private active: ActiveRun | undefined;
  /** The model that answers hovers, traces and samples. */
  private readonly model: CurrentModel;
  private readonly generation: TextGeneration;
  private readonly ends = new Map<string, Promise<void>>();
  private readonly endings = new Map<string, RunStatus>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly started = new vscode.EventEmitter<vscode.Uri>();
  /** Fires with the document when a run starts training on it (its text as of now is the model's). */
  readonly onDidStartRun = this.started.event;

  constructor(
    private readonly worker: EngineWorker,
    private readonly config: ConfigStore,
    readonly state: PanelState,
    readonly panel: LabPanel,
    readonly status: TrainingStatusBar,
    readonly log: Log,
    readonly library: RunLibrary,
  ) {
    // Commands that need a model are offered only while one exists (package.json's when-clauses).
    this.model = new CurrentModel(worker, log, () => this.isTraining, (uri) => void vscode.commands.executeCommand('setContext', HAS_MODEL_KEY, uri !== undefined));
    this.generation = new TextGeneration(worker, this.model, config, state, panel, log);
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
    return this.model.uri;
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
    let uri: vscode.Uri;
    try {
      uri = vscode.Uri.parse(r.documentUri, true);
    } catch {
      return;
    }
    this.model.trainedOn(uri, r.config.tokens);
    this.model.pending = r.checkpointStep !== null ? { runId: r.run.runId, path: this.library.store.checkpointPath(r.run.runId) } : undefined;
  }

  /** Resolves once the engine has a model to answer with (a stored run's is loaded the first time). */
  ready(): Promise<void> {
    return this.model.ensure();
  }

  /** Continues the text at the cursor with a sample from the current model, as one undoable edit. */
  generateAtCursor(): Promise<string | undefined> {
    return this.generation.atCursor();
  }

  /** A sample from the current model at `temperature`, shown in the panel. */
  sampleNow(temperature: number): Promise<void> {
    return this.generation.toPanel(temperature);
  }

  /** Saves the current model where the user says (between two steps when training). */
  saveCheckpoint(): Promise<void> {
    return saveCheckpointAs(this.checkpointContext());
  }

  /**
   * Loads a checkpoint the user picks as a new run whose model answers hovers on the active
   * document; a sequence-to-sequence one goes to `loadSeq2Seq`.
   */
  loadCheckpoint(loadSeq2Seq?: CheckpointFilesContext['loadSeq2Seq']): Promise<void> {
    return loadCheckpointFrom({ ...this.checkpointContext(), loadSeq2Seq });
  }

  private checkpointContext(): CheckpointFilesContext {
    return { worker: this.worker, model: this.model, library: this.library, state: this.state, panel: this.panel, log: this.log, isTraining: () => this.isTraining };
  }

  /** Continues a stored run from its checkpoint, on its document, for another budget. */
  async resume(runId: string): Promise<string | undefined> {
    let r: RunRecord;
    try {
      r = await this.library.store.get(runId);
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab cannot resume {0}: {1}', runId, errorMessage(e)));
      return undefined;
    }
    if (r.checkpointStep === null) {
      void vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab: {0} ({1}) has no checkpoint to resume from; train it again instead.', r.run.fileName, r.run.cell));
      return undefined;
    }
    let doc: vscode.TextDocument;
    try {
      doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(r.documentUri, true));
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab cannot resume: {0} cannot be opened ({1}).', r.run.fileName, errorMessage(e)));
      return undefined;
    }
    return this.train(doc, { resume: r });
  }

  /**
   * Trains on `document`, by default the active editor's (or, when the panel has focus, the
   * visible editor's). Returns the run id, or undefined when nothing was started.
   */
  async train(document?: vscode.TextDocument, options: TrainOptions = {}): Promise<string | undefined> {
    const doc = document ?? vscode.window.activeTextEditor?.document ?? vscode.window.visibleTextEditors[0]?.document;
    if (!doc) {
      void vscode.window.showWarningMessage(await noDocumentReason());
      return undefined;
    }
    // A checkpoint being loaded for hovers must not land after this run's model.
    await this.model.settled();
    // Checked before anything else: a file that cannot be trained on leaves a running run alone.
    const fileName = path.basename(doc.uri.path) || doc.uri.toString();
    const check = checkTrainingText(doc.getText(), this.config.value.maxCharacters);
    if (!check.ok) {
      this.log.warn(`Not training on ${fileName}: ${check.reason}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab cannot train on {0}. {1}', fileName, check.reason ?? ''));
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
    const { config: trainConfig, problems } = runSettings(settings, options.config);
    if (problems.length > 0) {
      void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab did not start: {0}', problems.join(' ')));
      return undefined;
    }
    if (cfg.problems.length > 0) {
      cfg.problems.forEach((p) => this.log.warn(p));
      void vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab: {0}', settingsProblemsMessage(cfg.problems)), vscode.l10n.t('Open Settings'))
        .then((b) => { if (b) void vscode.commands.executeCommand('workbench.action.openSettings', 'lstmLab'); });
    }
    if (check.truncated) {
      const [length, kept] = [check.originalLength.toLocaleString('en'), check.text.length.toLocaleString('en')];
      this.log.info(`${fileName} has ${length} characters; training on the first ${kept} (setting lstmLab.data.maxCharacters).`);
      void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: {0} has {1} characters; training on the first {2} (setting lstmLab.data.maxCharacters).', fileName, length, kept));
    }
    const runId = resume?.run.runId ?? newRunId();
    this.status.starting(fileName);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    this.ends.set(runId, finished);
    this.active = { runId, uri: doc.uri, fileName, lastStep: 0, lastLoss: NaN, finish };
    this.model.pending = undefined;
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
      this.model.trainedOn(doc.uri, trainConfig.tokens);
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
    return runId;
  }

  /** Shows the character at `offset` of the trained document in its editor. */
  async reveal(offset: number): Promise<void> {
    const uri = this.model.uri;
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

  /**
   * Asks the engine to stop; resolves when the run has ended. The run ends after the step in
   * flight, which for a large model can take a while: an engine that answered the request gets a
   * minute for it, one that did not a few seconds.
   */
  async stop(): Promise<void> {
    const run = this.active;
    if (!run) return;
    const asked = Date.now();
    let answered = false;
    try {
      await this.worker.stop();
      answered = true;
    } catch (e) {
      this.log.warn(`Stop request failed: ${errorMessage(e)}`);
    }
    await new Promise<void>((resolve) => {
      const limit = asked + (answered ? 60_000 : 10_000);
      const check = setInterval(() => {
        if (this.active?.runId !== run.runId || Date.now() > limit) { clearInterval(check); resolve(); }
      }, 25);
    });
    if (this.active?.runId === run.runId) {
      // The worker did not answer: end it so that the next run starts clean.
      await this.worker.terminate();
      this.model.uri = undefined;
      this.endRun(run.runId, 'failed', 'The engine did not stop in time and was restarted.');
    }
  }

  /** The document to train on again from the panel: the last trained one while it is open. */
  lastDocument(): vscode.TextDocument | undefined {
    const trained = this.model.uri;
    if (trained) {
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === trained.toString());
      if (doc) return doc;
    }
    return vscode.window.visibleTextEditors[0]?.document;
  }

  private async askAboutRunningRun(doc: vscode.TextDocument): Promise<'stop' | 'keep'> {
    const stopIt = vscode.l10n.t('Stop It and Train');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('LSTM Lab is already training on {0}. Stop that run and train on {1}?', this.active?.fileName ?? '', path.basename(doc.uri.path)),
      stopIt, vscode.l10n.t('Keep Current Run'));
    return answer === stopIt ? 'stop' : 'keep';
  }

  private onWorkerEvent(e: WorkerToHost): void {
    if (e.type === 'done') this.onDone(e);
    else showRunEvent(e, this, this.active);
  }

  private onDone(e: DoneEvent): void {
    const summary = doneSummary(e);
    this.log.info(`Run ${e.runId} ${e.reason}: ${summary}${e.message ? `. ${e.message}` : ''}`);
    if (e.reason === 'diverged' || e.reason === 'failed') {
      void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab: {0}', e.message ?? vscode.l10n.t('training failed.')), vscode.l10n.t('Show Log'))
        .then((b) => { if (b) this.log.show(); });
    }
    this.endRun(e.runId, e.reason, e.message ?? summary);
  }

  private onWorkerCrash(description: string): void {
    this.log.error(description);
    // The model died with the worker; its last checkpoint, if any, answers from now on.
    const shown = this.library.current;
    if (shown && shown.checkpointStep !== null) this.model.pending = { runId: shown.runId, path: this.library.store.checkpointPath(shown.runId) };
    else this.model.uri = undefined;
    const run = this.active;
    if (!run) return;
    void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab: {0}. The run on {1} is marked failed; you can start a new one.', description, run.fileName));
    this.endRun(run.runId, 'failed', description);
  }

  /** How run `runId` ended (undefined while it goes, or for runs of another session). */
  endedAs(runId: string): RunStatus | undefined {
    return this.endings.get(runId);
  }

  private endRun(runId: string, status: RunStatus, message: string): void {
    this.endings.set(runId, status);
    this.panel.post(this.state.setStatus(runId, status, message));
    void this.library.finished(runId);
    this.ends.delete(runId);
    const run = this.active;
    if (!run || run.runId !== runId) return;
    this.active = undefined;
    void vscode.commands.executeCommand('setContext', 'lstmLab.training', false);
    this.status.lastRun(run.fileName, status, message);
    run.finish();
  }

  dispose(): void {
    this.active?.finish();
    void this.library.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
