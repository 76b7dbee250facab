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

  /** A run's progress; the tooltip offers the panel and Stop (no notification covers the panel). */
  running(step: number, loss: number, charsPerSec: number, fileName = ''): void {
    this.item.text = `$(pulse) LSTM step ${step} · loss ${loss.toFixed(3)} · ${formatRate(charsPerSec)} chars/s`;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: [CommandId.ShowPanel, CommandId.Stop] };
    md.appendMarkdown(`**LSTM Lab is training**${fileName ? ` on ${escapeMarkdown(fileName)}` : ''}: step ${step}, loss ${loss.toFixed(3)} nats (${(loss / Math.LN2).toFixed(3)} bits per token).\n\n`);
    md.appendMarkdown(`[$(graph-line) Open the panel](command:${CommandId.ShowPanel}) · [$(debug-stop) Stop training](command:${CommandId.Stop})`);
    this.item.tooltip = md;
    this.item.show();
  }

  starting(fileName: string): void {
    this.item.text = `$(loading~spin) LSTM preparing ${fileName}`;
    this.item.tooltip = 'LSTM Lab is preparing a training run';
    this.item.show();
  }

  /** How the last run ended (also after a reload, from the stored runs). */
  lastRun(fileName: string, status: string, message: string | null): void {
    this.finished(`LSTM ${status === 'completed' ? 'done' : status}`, `Last run on ${fileName}: ${message ?? status}. Click to open the panel.`);
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

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

export function formatRate(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : `${Math.round(n)}`;
}
