/** The status bar item of a training run: starting, step, loss and speed, and how the last run ended. */
import * as vscode from 'vscode';
import { CommandId } from './commands';

/** Shows step, loss and speed while a run is going; click opens the panel. */
export class TrainingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('lstmLab.status', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'LSTM Lab';
    this.item.command = CommandId.ShowPanel;
  }

  running(step: number, loss: number, charsPerSec: number): void {
    this.item.text = `$(pulse) LSTM step ${step} · loss ${loss.toFixed(3)} · ${formatRate(charsPerSec)} chars/s`;
    this.item.tooltip = `LSTM Lab is training: ${(loss / Math.LN2).toFixed(3)} bits/char. Click to open the panel.`;
    this.item.show();
  }

  starting(fileName: string): void {
    this.item.text = `$(loading~spin) LSTM preparing ${fileName}`;
    this.item.tooltip = 'LSTM Lab is preparing a training run';
    this.item.show();
  }

  finished(text: string, tooltip: string): void {
    this.item.text = `$(graph-line) ${text}`;
    this.item.tooltip = tooltip;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}

export function formatRate(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : `${Math.round(n)}`;
}
