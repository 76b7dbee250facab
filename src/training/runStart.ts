/**
 * The pure parts of starting a run: the settings it trains with, the history a resumed run keeps,
 * its id, and why there is no document to train on.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { validateTrainConfig, type TrainConfig } from '../protocol/runConfig';
import type { FormConfig } from '../protocol/webviewProtocol';
import type { RunRecord } from '../runs/runStore';

/** The run's settings: the user's, with the form's or the comparison's values over them. */
export function runSettings(base: TrainConfig, over: Partial<FormConfig> | undefined): { config: TrainConfig; problems: string[] } {
  if (!over) return { config: base, problems: [] };
  const { config, problems } = validateTrainConfig({ ...base, ...over }, (key) => key);
  return { config, problems: problems.filter((p) => !p.includes('both 0')) };
}

/**
 * A stored run as its checkpoint left it: the record is written more often than the checkpoint,
 * so what came after the checkpoint's step is trained again and must not appear twice.
 */
export function historyUpTo(r: RunRecord, step: number): RunRecord {
  const upTo = <T extends { step: number }>(xs: T[]) => xs.filter((x) => x.step <= step);
  const val = upTo(r.val);
  const best = val.reduce<number | null>((m, p) => (m === null || p.loss < m ? p.loss : m), null);
  return { ...r, train: upTo(r.train), val, gradHistory: upTo(r.gradHistory), bestValLoss: best, checkpointStep: step };
}

/** Run ids sort by start time and are unique per millisecond. */
export function newRunId(): string {
  return `run-${Date.now().toString(36)}`;
}

/**
 * Why there is no document to train on. A file over about 50 MB is shown in an editor tab, but
 * VS Code does not pass its text to extensions: say so rather than "open a file".
 */
export async function noDocumentReason(): Promise<string> {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText) {
    try {
      const { size } = await vscode.workspace.fs.stat(input.uri);
      if (size > 50 * 1024 * 1024) {
        return vscode.l10n.t('LSTM Lab: {0} is {1} MB, more than VS Code passes to extensions (50 MB). Copy a part of it into a new file and train on that.',
          path.basename(input.uri.path), (size / 1048576).toFixed(0));
      }
    } catch {
      // Not readable: fall through to the general advice.
    }
  }
  return vscode.l10n.t('LSTM Lab: open a file first, then run "Train LSTM on File" on it.');
}
