/** Wiring only: every feature lives in its own module. */
import * as vscode from 'vscode';
import { CommandId, registerCommands } from './commands';
import { ConfigStore, type LabConfig } from './config';
import { DocumentMirror, lengthOf } from './editor/documentMirror';
import { EditorOverlays, type PaintReport } from './editor/overlays';
import { askUnit } from './editor/unitPick';
import { unitArg, unitSearchOptions } from './editor/unitText';
import { UnitSearch } from './editor/unitSearch';
import { PredictionHoverProvider } from './hover/predictionHover';
import { Log } from './log';
import { LabPanel } from './panel/labPanel';
import { PanelState } from './panel/panelState';
import { formOf, type PanelSnapshot, type Seq2SeqView, type WebviewToHost } from './protocol/webviewProtocol';
import { RunLibrary } from './runs/runLibrary';
import { MAX_RUN_NAME, MAX_RUN_NOTE, RunStore } from './runs/runStore';
import { statusText, TrainingStatusBar } from './statusBar';
import { compareCells, compareOptions } from './training/compareCells';
import { exportModelForPyTorch } from './training/exportModel';
import { LastChoice, saveFormAsSettings } from './training/formSettings';
import { TraceFollower } from './training/traceFollower';
import { TrainingController, type TrainOptions } from './training/trainingController';
import { markFirstHover, openSample, openSampleOptions } from './walkthrough';
import type { EngineStats } from './protocol/workerProtocol';
import { EngineWorker } from './worker/engineWorker';
import { SAMPLE_TASKS, type SampleTask } from './shared/seq2seqSamples';
import { Seq2SeqController } from './seq2seq/seq2seqController';
import { Seq2SeqHoverProvider } from './seq2seq/seq2seqHover';
import { newSeq2SeqSample } from './seq2seq/seq2seqSample';

/** What the extension exports, for tests and other extensions. */
export interface LabApi {
  snapshot(): PanelSnapshot;
  isTraining(): boolean;
  trainedUri(): string | undefined;
  panelOpen(): boolean;
  /** How long activate() took, in milliseconds. */
  activationMs: number;
  /** The settings in effect (invalid ones already replaced by their defaults). */
  settings(): LabConfig;
  /** Where the checkpoint of stored run `runId` is kept. */
  checkpointPath(runId: string): string;
  /** The editor overlay shown, and what its last paint did. */
  overlay(): { mode: string; paint: PaintReport };
  /** Paints the overlay now and resolves when done. */
  refreshOverlay(): Promise<void>;
  /** Tensors and heap of the engine thread (null before it starts), for the soak script. */
  workerStats(): Promise<EngineStats | null>;
  /** The sequence-to-sequence run shown in the panel's card, or null. */
  seq2seq(): Seq2SeqView | null;
  /** Whether a sequence-to-sequence run trains. */
  isSeq2SeqTraining(): boolean;
  /** Ends the engine thread the way a crash would (fault tests); resolves when it has ended. */
  killWorker(): Promise<void>;
}

export function activate(context: vscode.ExtensionContext): LabApi {
  const started = performance.now();
  const log = new Log();
  const config = new ConfigStore();
  const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');
  const worker = new EngineWorker(vscode.Uri.joinPath(dist, 'worker.js').fsPath, vscode.Uri.joinPath(dist, 'wasm').fsPath);
  const state = new PanelState(formOf(config.value.train));
  const status = new TrainingStatusBar();
  let onPanelCommand: (message: WebviewToHost) => void = () => undefined;
  const panel = new LabPanel(context.extensionUri, state, log, (message) => onPanelCommand(message));
  // Runs are kept per workspace; without a workspace, with the user's global storage.
  const storage = context.storageUri ?? context.globalStorageUri;
  const store = new RunStore(vscode.Uri.joinPath(storage, 'runs').fsPath, config.value.keepRuns);
  const selectionKey = 'lstmLab.selectedRuns';
  const library = new RunLibrary(store, state, (m) => panel.post(m), {
    get: () => { const v = context.workspaceState.get<unknown>(selectionKey); return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []; },
    set: (ids) => void context.workspaceState.update(selectionKey, ids),
  }, log);
  const controller = new TrainingController(worker, config, state, panel, status, log, library);
  flushRuns = () => library.dispose();
  onPanelCommand = (message) => {
    switch (message.type) {
      case 'stop': void controller.stop(); break;
      case 'train':
        lastChoice.set(message.config);
        void controller.train(controller.lastDocument(), { config: message.config });
        break;
      case 'saveSettings': void saveFormAsSettings(message.config); break;
      case 'sample': void controller.sampleNow(message.temperature); break;
      case 'reveal': void controller.reveal(message.offset); break;
      case 'resume': void controller.resume(message.runId); break;
      case 'select': void library.select(message.runIds); break;
      case 'deleteRun': void confirmDelete(library, message.runId); break;
      case 'editRun': void editRun(library, message.runId); break;
      case 'saveCheckpoint': void controller.saveCheckpoint(); break;
      case 'loadCheckpoint': void controller.loadCheckpoint((source, doc) => seq2seq.loadFrom(source, doc)); break;
      case 'showUnit': overlays.showUnit({ layer: message.layer, name: message.name, unit: message.unit }); break;
      case 'ready':
        panel.post({ type: 'seq2seqForm', form: seq2seq.form });
        if (seq2seq.view) panel.post({ type: 'seq2seq', view: seq2seq.view });
        break;
      case 's2sTrain': void seq2seq.train(undefined, message.form); break;
      case 's2sDecode': void seq2seq.decodeTyped(message.source); break;
      case 's2sContinue': void seq2seq.continueTraining(); break;
      case 's2sCompare': void seq2seq.compareAttention(); break;
      case 's2sSave': void seq2seq.saveCheckpointAs(); break;
      case 's2sShow': seq2seq.show(message.runId); break;
      case 's2sDelete': void seq2seq.deleteRun(message.runId); break;
      case 's2sSelect': void seq2seq.compareRuns(message.runIds); break;
      case 'export': break;
    }
  };
  // The newest run comes back after a reload: in the panel, and (lazily) for hovers.
  void library.open().then((shown) => {
    if (!shown || controller.isTraining) return;
    controller.adoptStored(shown);
    status.lastRun(shown.run.fileName, shown.status, shown.message);
  });
  // The palette's Train uses the form's last values until the settings change (saving the form changes them).
  const lastChoice = new LastChoice(context.workspaceState);
  context.subscriptions.push(config.onDidChange(() => {
    lastChoice.set(undefined);
    state.setForm(formOf(config.value.train));
    panel.post({ type: 'seq2seqForm', form: seq2seq.form });
  }));
  const mirror = new DocumentMirror(worker, { trainedUri: () => controller.trainedUri, isTraining: () => controller.isTraining, ready: () => controller.ready() }, log);
  controller.onDidStartRun((uri) => {
    mirror.markTrained(uri);
    // Units found in the last model mean nothing in a new one.
    if (state.units) panel.post(state.setUnits(null));
  });
  const hover = new PredictionHoverProvider({
    trainedUri: () => controller.trainedUri,
    enabled: () => config.value.hover.enabled,
    topK: () => config.value.hover.topK,
    details: () => config.value.hover.details,
    hover: (document, offset, k) => mirror.with(document, (key) => worker.hover(key, offset, k)),
    isEdited: (document, offset) => mirror.isEdited(document.uri, offset),
  });
  const overlays = new EditorOverlays({
    trainedUri: () => controller.trainedUri,
    isTraining: () => controller.isTraining,
    span: (document, start, end, want) => mirror.with(document, (key) => worker.span({ key, start, end, ...want })),
    onDidEdit: mirror.onDidEdit,
  }, log);
  const unitSearch = new UnitSearch({
    trainedUri: () => controller.trainedUri,
    search: (document, matches, top) => mirror.with(document, (key) => worker.unitSearch({ key, start: 0, end: lengthOf(document), matches, top })),
    show: (view) => { panel.show(true); panel.post(state.setUnits(view)); },
    showUnit: (unit) => overlays.showUnit(unit),
  });
  const seq2seq = new Seq2SeqController(vscode.Uri.joinPath(dist, 'seq2seqWorker.js').fsPath, vscode.Uri.joinPath(dist, 'wasm').fsPath, vscode.Uri.joinPath(storage, 'seq2seq').fsPath, config, {
    post: (m) => panel.post(m),
    showPanel: () => panel.show(true),
  }, log, context.workspaceState);
  const seq2seqHover = new Seq2SeqHoverProvider({
    trainedUri: () => seq2seq.trainedUri,
    enabled: () => config.value.hover.enabled,
    translate: (source) => seq2seq.translate(source),
  });
  const follower = new TraceFollower({
    trainedUri: () => controller.trainedUri,
    isTraining: () => controller.isTraining,
    current: () => (panel.isVisible && state.runId ? { runId: state.runId, step: state.lastStep } : null),
    trace: (document, range) => mirror.with(document, (key) => worker.trace('', { key, start: document.offsetAt(range.start), end: document.offsetAt(range.end) })),
    show: (runId, trace) => panel.post(state.setTrace(runId, trace)),
  }, log);
  /** A command that needs a model says what to do instead when there is none yet. */
  const needsModel = (run: (arg?: unknown) => unknown) => (arg?: unknown) => (controller.trainedUri ? run(arg) : explainNoModel());
  context.subscriptions.push(
    log, config, status, panel, controller, worker, mirror, overlays, unitSearch, follower, seq2seq,
    vscode.languages.registerHoverProvider({ pattern: '**' }, markFirstHover(hover)),
    vscode.languages.registerHoverProvider({ pattern: '**' }, seq2seqHover),
    ...registerCommands({
      [CommandId.Train]: (arg?: unknown) => controller.train(undefined, { config: lastChoice.get(), ...trainOptions(arg) }),
      [CommandId.Stop]: () => controller.stop(),
      [CommandId.ShowPanel]: () => panel.show(false),
      [CommandId.CompareCells]: (arg?: unknown) => compareCells(controller, library, config, compareOptions(arg)),
      [CommandId.Generate]: needsModel(() => controller.generateAtCursor()),
      [CommandId.ToggleSurprisal]: needsModel(() => overlays.toggleSurprisal().kind),
      [CommandId.ShowUnitActivation]: needsModel(async (arg?: unknown) => {
        const unit = unitArg(arg) ?? await askUnit(state.snapshot().run);
        if (unit) overlays.showUnit(unit);
        return unit;
      }),
      [CommandId.HideOverlay]: () => { overlays.hide(); unitSearch.clearMarks(); },
      [CommandId.FindUnits]: needsModel((arg?: unknown) => unitSearch.run(unitSearchOptions(arg))),
      [CommandId.OpenSample]: (arg?: unknown) => openSample(context.extensionUri, context.globalStorageUri, openSampleOptions(arg)),
      [CommandId.TrainSeq2Seq]: () => seq2seq.train(),
      [CommandId.StopSeq2Seq]: () => seq2seq.stop(),
      [CommandId.ContinueSeq2Seq]: () => seq2seq.continueTraining(),
      [CommandId.CompareSeq2SeqAttention]: () => seq2seq.compareAttention(),
      [CommandId.NewSeq2SeqSample]: (arg?: unknown) => newSeq2SeqSample(typeof arg === 'string' && arg in SAMPLE_TASKS ? (arg as SampleTask) : undefined),
      [CommandId.ExportForPyTorch]: () => exportModelForPyTorch(worker, library.store, log, seq2seq.runs),
      [CommandId.ResumeRun]: async (arg?: unknown) => {
        const runId = typeof arg === 'string' ? arg : await pickRunToResume(library);
        return runId ? controller.resume(runId) : undefined;
      },
    }),
  );
  const activationMs = performance.now() - started;
  log.info(`LSTM Lab activated in ${activationMs.toFixed(1)} ms`);
  return {
    snapshot: () => state.snapshot(),
    isTraining: () => controller.isTraining,
    trainedUri: () => controller.trainedUri?.toString(),
    panelOpen: () => panel.isOpen,
    activationMs,
    settings: () => config.value,
    checkpointPath: (runId) => library.store.checkpointPath(runId),
    overlay: () => ({ mode: overlays.current.kind, paint: overlays.lastPaint }),
    refreshOverlay: () => overlays.refresh(),
    // Not EngineWorker.terminate(): that is an intended end, which is not reported as a crash.
    killWorker: () => worker.kill(),
    workerStats: () => worker.stats(),
    seq2seq: () => seq2seq.view,
    isSeq2SeqTraining: () => seq2seq.isTraining,
  };
}

async function explainNoModel(): Promise<undefined> {
  const train = vscode.l10n.t('Train on This File'), sample = vscode.l10n.t('Open Sample Text');
  const answer = await vscode.window.showInformationMessage(
    vscode.l10n.t('LSTM Lab: there is no model yet. Train one on a text file first (LSTM Lab: Train LSTM on File), or resume a stored run (LSTM Lab: Resume Run…).'),
    ...(vscode.window.activeTextEditor ? [train] : []), sample,
  );
  if (answer === train) await vscode.commands.executeCommand(CommandId.Train);
  if (answer === sample) await vscode.commands.executeCommand(CommandId.OpenSample);
  return undefined;
}

async function pickRunToResume(library: RunLibrary): Promise<string | undefined> {
  const runs = library.store.list().filter((s) => s.hasCheckpoint && s.status !== 'running');
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: no stored run has a checkpoint yet. Runs are checkpointed as they train.'));
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(runs.map((s) => ({
    label: runLabel(s.run),
    description: s.trainLoss !== null
      ? vscode.l10n.t('{0}, step {1}, loss {2}', statusText(s.status), s.steps, s.trainLoss.toFixed(3))
      : vscode.l10n.t('{0}, step {1}', statusText(s.status), s.steps),
    detail: new Date(s.run.startedAt).toLocaleString(vscode.env.language),
    runId: s.run.runId,
  })), { title: vscode.l10n.t('Resume a run from its checkpoint') });
  return pick?.runId;
}

/** Renames a stored run and edits its note, in two input boxes (Escape in either changes nothing). */
async function editRun(library: RunLibrary, runId: string): Promise<void> {
  const summary = library.store.list().find((s) => s.run.runId === runId);
  if (!summary) return;
  const { run } = summary;
  const generated = runLabel(run);
  const name = await vscode.window.showInputBox({
    title: vscode.l10n.t('Rename Run (1/2)'), value: summary.name ?? generated,
    prompt: vscode.l10n.t('A name for the run of {0}; empty for the generated one.', new Date(run.startedAt).toLocaleString(vscode.env.language)),
    validateInput: (v) => (v.trim().length > MAX_RUN_NAME ? vscode.l10n.t('At most {0} characters.', MAX_RUN_NAME) : null),
  });
  if (name === undefined) return;
  const note = await vscode.window.showInputBox({
    title: vscode.l10n.t('Run Note (2/2)'), value: summary.note ?? '', prompt: vscode.l10n.t('A note on the run: what you tried, what you saw. Empty for none.'),
    validateInput: (v) => (v.trim().length > MAX_RUN_NOTE ? vscode.l10n.t('At most {0} characters.', MAX_RUN_NOTE) : null),
  });
  if (note === undefined) return;
  const trimmed = name.trim();
  await library.annotate(runId, trimmed === '' || trimmed === generated ? null : trimmed, note.trim() === '' ? null : note.trim());
}

async function confirmDelete(library: RunLibrary, runId: string): Promise<void> {
  const run = library.store.list().find((s) => s.run.runId === runId)?.run;
  if (!run) return;
  const remove = vscode.l10n.t('Delete');
  const answer = await vscode.window.showWarningMessage(vscode.l10n.t('Delete the run {0}, with its metrics and checkpoint?', runLabel(run)), { modal: true }, remove);
  if (answer === remove) await library.remove(runId);
}

/** A run as the resume pick and the rename box name it: "lstm 1×128 on notes.txt". */
function runLabel(run: { cell: string; layers: number; hiddenSize: number; fileName: string }): string {
  return vscode.l10n.t('{0} {1}×{2} on {3}', run.cell, run.layers, run.hiddenSize, run.fileName);
}

function trainOptions(arg: unknown): TrainOptions {
  if (typeof arg === 'object' && arg !== null && 'ifRunning' in arg) {
    const v = (arg as { ifRunning: unknown }).ifRunning;
    if (v === 'stop' || v === 'keep') return { ifRunning: v };
  }
  return {};
}

/** Set while active: writes what the run library has not written yet. */
let flushRuns: (() => Promise<void>) | undefined;

export function deactivate(): Promise<void> | undefined {
  // Everything else is disposed through context.subscriptions.
  return flushRuns?.();
}
