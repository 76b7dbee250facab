/**
 * What a sequence-to-sequence run says outside the panel: its status bar item while it trains
 * (step and the last exact match; a click opens the panel), the context keys that show its
 * commands, and the notice and log line when it ends.
 */
import * as vscode from 'vscode';
import type { Log } from '../log';
import type { Seq2SeqView } from '../protocol/webviewProtocol';
import { statusText } from '../statusBar';

/** The context keys: a sequence-to-sequence run trains; a kept model can decode or continue. */
export const SEQ2SEQ_TRAINING_KEY = 'lstmLab.seq2seqTraining';
export const SEQ2SEQ_MODEL_KEY = 'lstmLab.hasSeq2SeqModel';

export class Seq2SeqStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('lstmLab.seq2seq', vscode.StatusBarAlignment.Left, 99);

  constructor() {
    this.item.name = vscode.l10n.t('LSTM Lab sequence to sequence');
    this.item.command = 'lstmLab.showPanel';
  }

  training(on: boolean): void {
    void vscode.commands.executeCommand('setContext', SEQ2SEQ_TRAINING_KEY, on);
    if (!on) {
      this.item.hide();
      return;
    }
    this.item.text = `$(sync~spin) ${vscode.l10n.t('Seq2seq starting…')}`;
    this.item.tooltip = vscode.l10n.t('LSTM Lab: a sequence-to-sequence run is training. Click for the panel.');
    this.item.show();
  }

  progress(v: Seq2SeqView): void {
    const last = v.evals[v.evals.length - 1];
    this.item.text = `$(sync~spin) ${last
      ? vscode.l10n.t('Seq2seq step {0} · exact {1}%', v.step, (100 * last.exactMatch).toFixed(0))
      : vscode.l10n.t('Seq2seq step {0}', v.step)}`;
  }

  hasModel(on: boolean): void {
    void vscode.commands.executeCommand('setContext', SEQ2SEQ_MODEL_KEY, on);
  }

  dispose(): void {
    this.item.dispose();
  }
}

/** The log line and the notice of a run that ended. */
export function announceEnd(log: Log, v: Seq2SeqView, reason: 'completed' | 'stopped' | 'failed', message: string | null, checkpoint: string | null): void {
  const last = v.evals[v.evals.length - 1];
  const result = last ? `held-out exact match ${(100 * last.exactMatch).toFixed(1)}%, token accuracy ${(100 * last.tokenAccuracy).toFixed(1)}% after ${last.seconds.toFixed(0)} s` : 'no evaluation';
  log.info(`Sequence to sequence: ${reason}: ${result}${message ? ` (${message})` : ''}${checkpoint ? `; model kept in ${checkpoint}` : ''}`);
  if (reason === 'failed') {
    void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab: sequence-to-sequence training failed: {0}', message ?? vscode.l10n.t('unknown error')));
    return;
  }
  const shown = last
    ? vscode.l10n.t('held-out exact match {0}%, token accuracy {1}% after {2} s', (100 * last.exactMatch).toFixed(1), (100 * last.tokenAccuracy).toFixed(1), last.seconds.toFixed(0))
    : vscode.l10n.t('no evaluation');
  void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: sequence to sequence {0} on {1}: {2}. Hover a line of the file to see its decoding.', statusText(reason), v.fileName, shown));
}
