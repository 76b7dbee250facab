/**
 * LSTM Lab: Export Model for PyTorch…: a stored run's checkpoint (its latest, or its best by
 * validation loss), or a sequence-to-sequence run's kept model, written as safetensors in
 * PyTorch's layout by the engine worker.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { Log } from '../log';
import { errorMessage } from '../protocol/messages';
import type { RunStore } from '../runs/runStore';
import type { Seq2SeqRuns } from '../seq2seq/seq2seqRuns';
import { bestCheckpointPath } from '../shared/checkpointPaths';
import type { EngineWorker } from '../worker/engineWorker';

/** Asks which run (and which of its checkpoints) and where; resolves with the written path. */
export async function exportModelForPyTorch(worker: EngineWorker, store: RunStore, log: Log, seq2seq?: Seq2SeqRuns): Promise<string | undefined> {
  const runs = store.list().filter((s) => s.hasCheckpoint);
  // Newest first, as the language-model runs are listed.
  const kept = (seq2seq?.all ?? []).filter((r) => r.checkpoint !== null && fs.existsSync(r.checkpoint)).reverse();
  if (runs.length === 0 && kept.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: no stored run has a checkpoint yet. Train a model first; runs are checkpointed as they train.'));
    return undefined;
  }
  type Choice = { summary: (typeof runs)[number]; pairs?: undefined } | { pairs: (typeof kept)[number]; summary?: undefined };
  const choices: (vscode.QuickPickItem & { choice: Choice })[] = [
    ...runs.map((s) => ({
      label: s.name ?? `${s.run.cell} ${s.run.layers}×${s.run.hiddenSize} · ${s.run.fileName}`,
      description: vscode.l10n.t('{0}, step {1}', s.status, s.steps),
      detail: new Date(s.run.startedAt).toLocaleString(),
      choice: { summary: s },
    })),
    ...kept.map((r) => ({
      label: `${r.label} · ${r.fileName}`,
      description: vscode.l10n.t('sequence to sequence, step {0}', r.step),
      choice: { pairs: r },
    })),
  ];
  const chosen = choices.length === 1 ? choices[0].choice : (await vscode.window.showQuickPick(choices, { title: vscode.l10n.t('Export Model for PyTorch: which run') }))?.choice;
  if (!chosen) return undefined;
  if (chosen.pairs) {
    const r = chosen.pairs;
    return exportFile(worker, log, r.checkpoint!, `${r.fileName.replace(/\.[^.]*$/, '') || 'pairs'}-seq2seq.safetensors`);
  }
  const run = chosen.summary;
  const latest = store.checkpointPath(run.run.runId);
  const best = bestCheckpointPath(latest);
  let source = latest;
  if (fs.existsSync(best)) {
    const which = await vscode.window.showQuickPick([
      { label: vscode.l10n.t('Latest checkpoint'), description: vscode.l10n.t('step {0}', run.steps), path: latest },
      { label: vscode.l10n.t('Best validation checkpoint'), description: run.bestValLoss !== null ? vscode.l10n.t('validation loss {0}', run.bestValLoss.toFixed(3)) : '', path: best },
    ], { title: vscode.l10n.t('Export Model for PyTorch: which checkpoint') });
    if (!which) return undefined;
    source = which.path;
  }
  return exportFile(worker, log, source, `${run.run.fileName.replace(/\.[^.]*$/, '') || 'model'}-${run.run.cell}.safetensors`);
}

/** Asks where, and writes the export of checkpoint `source` there. */
async function exportFile(worker: EngineWorker, log: Log, source: string, name: string): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
    filters: { Safetensors: ['safetensors'] },
    title: vscode.l10n.t('Export Model for PyTorch'),
  });
  if (!target) return undefined;
  if (target.scheme !== 'file') {
    void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab: exports are written to local files; {0} is not one.', target.toString()));
    return undefined;
  }
  try {
    const done = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('LSTM Lab: exporting for PyTorch') },
      () => worker.exportTorch(source, target.fsPath),
    );
    log.info(`Exported ${source} to ${target.fsPath}: ${done.bytes} bytes, ${done.tensors} tensors, torch module ${done.torchModule}`);
    const loads = done.torchModule === 'none'
      ? vscode.l10n.t('PyTorch has no module for the {0} cell: the file holds its exact weights and equations (metadata "equations").', done.cell)
      : done.attention !== null
        ? vscode.l10n.t('torch.nn.{0} loads each recurrent stack (encoder, decoder); the attention and output layers are torch.nn.Linear weights.', done.torchModule)
        : vscode.l10n.t('torch.nn.{0} loads its recurrent weights.', done.torchModule);
    const what = done.attention !== null
      ? vscode.l10n.t('the {0} {1}×{2} encoder–decoder (attention {3})', done.cell, done.layers, done.hiddenSize, done.attention)
      : `${done.cell} ${done.layers}×${done.hiddenSize}`;
    void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: exported {0} to {1}. {2}', what, target.fsPath, loads));
    return target.fsPath;
  } catch (e) {
    void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab could not export the model: {0}', errorMessage(e)));
    return undefined;
  }
}
