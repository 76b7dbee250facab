/**
 * The checkpoint commands of the panel: save the current model to a file the user picks, and load
 * a checkpoint file as a new run of this workspace.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Log } from '../log';
import type { LabPanel } from '../panel/labPanel';
import type { PanelState } from '../panel/panelState';
import { errorMessage } from '../protocol/messages';
import { checkpointKind } from '../shared/checkpointKind';
import type { RunLibrary } from '../runs/runLibrary';
import type { EngineWorker } from '../worker/engineWorker';
import type { CurrentModel } from './currentModel';
import { newRunId } from './runStart';

export interface CheckpointFilesContext {
  worker: EngineWorker;
  model: CurrentModel;
  library: RunLibrary;
  state: PanelState;
  panel: LabPanel;
  log: Log;
  isTraining(): boolean;
  /** Loads a sequence-to-sequence checkpoint (as a kept run of that card) for `document`'s lines. */
  loadSeq2Seq?(source: vscode.Uri, document: vscode.TextDocument | undefined): Promise<void>;
}

/** Saves the current model where the user says (between two steps when training). */
export async function saveCheckpointAs(ctx: CheckpointFilesContext): Promise<void> {
  const { library, state, worker, model, log } = ctx;
  const shown = library.current;
  const snap = state.snapshot();
  if (!shown || !snap.run) {
    void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: train or load a model first; then it can be saved.'));
    return;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `${snap.run.fileName.replace(/\.[^.]*$/, '') || 'model'}-${snap.run.cell}-step${state.lastStep}.ckpt`;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters: { [vscode.l10n.t('LSTM Lab checkpoint')]: ['ckpt'] }, title: vscode.l10n.t('Save LSTM Lab checkpoint'),
  });
  if (!target) return;
  if (target.scheme !== 'file') {
    void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab saves checkpoints to local files only.'));
    return;
  }
  try {
    const pending = model.pending;
    if (ctx.isTraining() || !pending) {
      await model.ensure();
      const saved = await worker.save(target.fsPath);
      log.info(`Saved ${saved.runId} at step ${saved.step} to ${target.fsPath}`);
    } else {
      // The engine has not loaded this run: its stored checkpoint is the model.
      await vscode.workspace.fs.copy(vscode.Uri.file(pending.path), target, { overwrite: true });
      log.info(`Copied the checkpoint of ${pending.runId} to ${target.fsPath}`);
    }
    void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: saved {0}.', path.basename(target.fsPath)));
  } catch (e) {
    void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab could not save the checkpoint: {0}', errorMessage(e)));
  }
}

/**
 * Loads a checkpoint the user picks: it becomes a run of this workspace (shown in the panel, in
 * the run list, resumable) whose model answers hovers on the active document.
 */
export async function loadCheckpointFrom(ctx: CheckpointFilesContext): Promise<void> {
  const { library, worker, model, log, panel } = ctx;
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab: loading checkpoints is disabled in an untrusted workspace. Trust the workspace to load one; training on open files still works.'));
    return;
  }
  if (ctx.isTraining()) {
    void vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab: stop the current run before loading a checkpoint.'));
    return;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false, filters: { [vscode.l10n.t('LSTM Lab checkpoint')]: ['ckpt'] }, title: vscode.l10n.t('Load LSTM Lab checkpoint'),
  });
  const source = picked?.[0];
  if (!source) return;
  const doc = vscode.window.activeTextEditor?.document ?? vscode.window.visibleTextEditors[0]?.document;
  if (ctx.loadSeq2Seq && source.scheme === 'file' && (await checkpointKind(source.fsPath)) === 'seq2seq') {
    await ctx.loadSeq2Seq(source, doc).catch((e) => {
      void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab could not load {0}: {1}', path.basename(source.path), errorMessage(e)));
    });
    return;
  }
  const runId = newRunId();
  const stored = library.store.checkpointPath(runId);
  try {
    await vscode.workspace.fs.createDirectory(vscode.Uri.file(path.dirname(stored)));
    await vscode.workspace.fs.copy(source, vscode.Uri.file(stored), { overwrite: false });
    const loaded = await worker.load(runId, stored);
    const last = loaded.train[loaded.train.length - 1];
    library.show({
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
    await library.persistNow();
    model.trainedOn(doc?.uri, loaded.config.tokens);
    panel.show(true);
    log.info(`Loaded ${source.fsPath} as ${runId}: ${loaded.config.cell} ${loaded.config.layers}×${loaded.config.hiddenSize}, step ${loaded.step}`);
  } catch (e) {
    await vscode.workspace.fs.delete(vscode.Uri.file(stored)).then(undefined, () => undefined);
    void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab could not load {0}: {1}', path.basename(source.path), errorMessage(e)));
  }
}
