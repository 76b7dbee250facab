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
    this.item.text = `$(pulse) ${vscode.l10n.t('LSTM step {0} · loss {1} · {2} chars/s', step, loss.toFixed(3), formatRate(charsPerSec))}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: [CommandId.ShowPanel, CommandId.Stop] };
    const numbers = [step, loss.toFixed(3), (loss / Math.LN2).toFixed(3)] as const;
    md.appendMarkdown(`${fileName
      ? vscode.l10n.t('**LSTM Lab is training** on {0}: step {1}, loss {2} nats ({3} bits per token).', escapeMarkdown(fileName), ...numbers)
      : vscode.l10n.t('**LSTM Lab is training**: step {0}, loss {1} nats ({2} bits per token).', ...numbers)}\n\n`);
    md.appendMarkdown(`[$(graph-line) ${vscode.l10n.t('Open the panel')}](command:${CommandId.ShowPanel}) · [$(debug-stop) ${vscode.l10n.t('Stop training')}](command:${CommandId.Stop})`);
    this.item.tooltip = md;
    this.item.show();
  }

  starting(fileName: string): void {
    this.item.text = `$(loading~spin) ${vscode.l10n.t('LSTM preparing {0}', fileName)}`;
    this.item.tooltip = vscode.l10n.t('LSTM Lab is preparing a training run');
    this.item.show();
  }

  /** How the last run ended (also after a reload, from the stored runs). */
  lastRun(fileName: string, status: string, message: string | null): void {
    this.finished(vscode.l10n.t('LSTM {0}', status === 'completed' ? vscode.l10n.t('done') : statusText(status)),
      vscode.l10n.t('Last run on {0}: {1}. Click to open the panel.', fileName, message ?? statusText(status)));
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

/** A run's status in words: running, completed, stopped, diverged, failed. */
export function statusText(status: string): string {
  switch (status) {
    case 'running': return vscode.l10n.t('running');
    case 'completed': return vscode.l10n.t('completed');
    case 'stopped': return vscode.l10n.t('stopped');
    case 'diverged': return vscode.l10n.t('diverged');
    case 'failed': return vscode.l10n.t('failed');
    default: return status;
  }
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

export function formatRate(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : `${Math.round(n)}`;
}
