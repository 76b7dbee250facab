/**
 * "Compare Cell Types on File": trains the chosen cell types one after another on the same text
 * with the same settings, seed and time budget, and overlays their loss and gradient-flow curves.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConfigStore } from '../config';
import { CELL_TYPES, type CellName } from '../protocol/runConfig';
import type { RunLibrary } from '../runs/runLibrary';
import type { TrainingController } from './trainingController';

export const DEFAULT_COMPARISON: readonly CellName[] = ['rnn', 'lstm', 'gru'];

export interface CompareOptions {
  /** Cell types to train, skipping the question. */
  cells?: CellName[];
  /** Seconds per cell, instead of the setting. */
  seconds?: number;
}

/** Reads the command's optional argument: `{ cells?: string[], seconds?: number }`. */
export function compareOptions(arg: unknown): CompareOptions {
  if (typeof arg !== 'object' || arg === null) return {};
  const a = arg as { cells?: unknown; seconds?: unknown };
  const o: CompareOptions = {};
  if (Array.isArray(a.cells)) {
    const cells = a.cells.filter((c): c is CellName => typeof c === 'string' && (CELL_TYPES as readonly string[]).includes(c));
    if (cells.length > 0) o.cells = [...new Set(cells)];
  }
  if (typeof a.seconds === 'number' && Number.isFinite(a.seconds) && a.seconds >= 1 && a.seconds <= 3600) o.seconds = a.seconds;
  return o;
}

export async function compareCells(controller: TrainingController, library: RunLibrary, config: ConfigStore, options: CompareOptions = {}): Promise<string[]> {
  const doc = vscode.window.activeTextEditor?.document ?? controller.lastDocument();
  if (!doc) {
    void vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab: open a file first, then run "Compare Cell Types on File" on it.'));
    return [];
  }
  let cells = options.cells;
  if (!cells) {
    const picks = await vscode.window.showQuickPick(
      CELL_TYPES.map((c) => ({ ...cellText(c), cell: c, picked: DEFAULT_COMPARISON.includes(c) })),
      {
        canPickMany: true, title: vscode.l10n.t('Compare cell types on {0}', path.basename(doc.uri.path)),
        placeHolder: vscode.l10n.t('Cell types to train with the same settings, seed and time'),
      },
    );
    if (!picks || picks.length === 0) return [];
    cells = picks.map((p) => p.cell);
  }
  if (controller.isTraining) {
    const stopIt = vscode.l10n.t('Stop It and Compare');
    const answer = await vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab is training. Stop that run and start the comparison?'), stopIt, vscode.l10n.t('Cancel'));
    if (answer !== stopIt) return [];
    await controller.stop();
  }
  const seconds = options.seconds ?? config.value.compareSeconds;
  const done: string[] = [];
  await vscode.window.withProgress(
    // In the status bar, not a notification over the panel; Stop Training ends the comparison.
    { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('LSTM Lab: comparing cell types') },
    async (progress) => {
      for (const [i, cell] of cells.entries()) {
        progress.report({ message: vscode.l10n.t('{0} of {1}: {2} for {3} s', i + 1, cells.length, cellText(cell).label, seconds), increment: i === 0 ? 0 : 100 / cells.length });
        const runId = await controller.train(doc, { ifRunning: 'stop', config: { cell, maxSeconds: seconds } });
        if (!runId) break;
        // Earlier runs of the comparison are drawn over the one training now.
        await library.select([...done, runId]);
        await controller.ended(runId);
        done.push(runId);
        if (controller.endedAs(runId) === 'stopped') break;
        // A run the user started meanwhile is theirs: the comparison ends rather than stop it.
        if (controller.isTraining) break;
      }
    },
  );
  await library.select(done);
  return done;
}

/** A cell type as the pick names it (CELL_LABELS in src/protocol/runConfig.ts, in the display language). */
function cellText(cell: CellName): { label: string; detail: string } {
  switch (cell) {
    case 'rnn': return { label: vscode.l10n.t('Vanilla RNN'), detail: vscode.l10n.t('h = tanh(W x + U h + b): the baseline whose gradient vanishes') };
    case 'lstm': return { label: vscode.l10n.t('LSTM'), detail: vscode.l10n.t('input, forget and output gates around a cell state (forget bias 1)') };
    case 'noforget': return { label: vscode.l10n.t('LSTM without forget gate'), detail: vscode.l10n.t('the cell state only accumulates, as in the first LSTM') };
    case 'peephole': return { label: vscode.l10n.t('Peephole LSTM'), detail: vscode.l10n.t('gates also read the cell state') };
    case 'cifg': return { label: vscode.l10n.t('Coupled input-forget LSTM'), detail: vscode.l10n.t('one gate decides both: forget = 1 − input') };
    case 'gru': return { label: vscode.l10n.t('GRU'), detail: vscode.l10n.t('update and reset gates, no separate cell state') };
  }
}
