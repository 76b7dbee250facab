/**
 * Text from the current model: a continuation inserted at the cursor, and samples shown in the
 * panel at a temperature the user picks.
 */
import * as vscode from 'vscode';
import type { ConfigStore } from '../config';
import type { Log } from '../log';
import type { LabPanel } from '../panel/labPanel';
import type { PanelState } from '../panel/panelState';
import { errorMessage } from '../protocol/messages';
import type { EngineWorker } from '../worker/engineWorker';
import type { CurrentModel } from './currentModel';

export class TextGeneration {
  private sampling = false;

  constructor(
    private readonly worker: EngineWorker,
    private readonly model: CurrentModel,
    private readonly config: ConfigStore,
    private readonly state: PanelState,
    private readonly panel: LabPanel,
    private readonly log: Log,
  ) {}

  /**
   * Continues the text at the cursor with a sample from the current model (primed with the text
   * before the cursor), inserted as one edit that a single undo removes. Returns the text.
   */
  async atCursor(): Promise<string | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab: put the cursor in a file first.'));
      return undefined;
    }
    if (!this.model.uri && !this.model.pending) {
      void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: train (or load) a model first; then it can write at the cursor.'));
      return undefined;
    }
    const { length, temperature } = this.config.value.generate;
    const doc = editor.document;
    const at = editor.selection.active;
    const version = doc.version;
    const before = doc.getText(new vscode.Range(doc.positionAt(Math.max(0, doc.offsetAt(at) - 1024)), at));
    let text: string;
    try {
      text = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('LSTM Lab: generating') }, async () => {
        await this.model.ensure();
        return (await this.worker.sample({ length, temperature, seed: Date.now() % 2 ** 31, prime: before })).text;
      });
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab could not generate text: {0}', errorMessage(e)));
      return undefined;
    }
    if (doc.version !== version || doc.isClosed) {
      void vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab: the file changed while the text was generated; nothing was inserted.'));
      return undefined;
    }
    const inserted = await editor.edit((b) => b.insert(at, text));
    return inserted ? text : undefined;
  }

  /** A sample from the current model at `temperature`, shown in the panel. */
  async toPanel(temperature: number): Promise<void> {
    const runId = this.state.runId;
    // One sample at a time: each keeps the engine thread (not training) busy for a moment.
    if (!runId || !this.model.uri || this.sampling) return;
    this.sampling = true;
    try {
      await this.model.ensure();
      const r = await this.worker.sample({ length: this.model.tokens === 'word' ? 60 : 240, temperature, seed: Date.now() % 2 ** 31 });
      this.panel.post(this.state.setSample(r.runId, this.state.lastStep, r.text));
    } catch (e) {
      this.log.warn(`Sampling failed: ${errorMessage(e)}`);
    } finally {
      this.sampling = false;
    }
  }
}
