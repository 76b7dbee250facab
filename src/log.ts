/** The "LSTM Lab" output channel, where runs, settings problems and engine messages are logged. */
import * as vscode from 'vscode';

/** The "LSTM Lab" output channel. */
export class Log implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('LSTM Lab', { log: true });

  info(message: string): void {
    this.channel.info(message);
  }

  warn(message: string): void {
    this.channel.warn(message);
  }

  error(message: string): void {
    this.channel.error(message);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
