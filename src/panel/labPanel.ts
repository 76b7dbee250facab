/** Hosts the panel webview: creates, revives, feeds it and validates what it sends back. */
import * as vscode from 'vscode';
import type { Log } from '../log';
import { parseWebviewMessage, PNG_DATA_URL, type HostToWebview, type PngChart, type WebviewToHost } from '../protocol/webviewProtocol';
import { exportMetrics, type ExportFormat } from './exportMetrics';
import { makeNonce, renderPanelHtml } from './html';
import type { PanelState } from './panelState';

export const PANEL_VIEW_TYPE = 'lstmLab.panel';

export class LabPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly state: PanelState,
    private readonly log: Log,
    private readonly onCommand: (message: WebviewToHost) => void,
  ) {
    this.disposables.push(vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => this.attach(panel),
    }));
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** True when the panel is on screen (a hidden panel should cost nothing). */
  get isVisible(): boolean {
    return this.panel?.visible ?? false;
  }

  show(preserveFocus = true): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'LSTM Lab',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      { enableScripts: true, enableForms: false, localResourceRoots: this.roots() },
    );
    this.attach(panel);
  }

  /** Sends a message if the panel can see it; a hidden panel gets a snapshot when shown again. */
  post(message: HostToWebview | null): void {
    if (!message || !this.panel?.visible) return;
    void this.panel.webview.postMessage(message);
  }

  private roots(): vscode.Uri[] {
    return [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')];
  }

  private attach(panel: vscode.WebviewPanel): void {
    // One panel at a time: a restored panel that arrives after a new one was opened is closed.
    if (this.panel && this.panel !== panel) {
      panel.dispose();
      return;
    }
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.png');
    panel.webview.options = { enableScripts: true, enableForms: false, localResourceRoots: this.roots() };
    const uri = (...p: string[]) => panel.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...p)).toString();
    panel.webview.html = renderPanelHtml({
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: uri('dist', 'webview.js'),
      styleUris: [uri('dist', 'uPlot.min.css'), uri('media', 'panel.css')],
      title: 'LSTM Lab',
      // The skeleton is translated here; the webview translates its own texts from the same bundle.
      l10n: vscode.l10n,
      bundle: vscode.l10n.bundle,
      language: vscode.env.language,
    });
    // Redraw from a snapshot when the panel becomes visible again, not on every focus change.
    let wasVisible = panel.visible;
    const subscriptions: vscode.Disposable[] = [
      panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      panel.onDidChangeViewState(() => {
        if (panel.visible && !wasVisible) this.sendSnapshot();
        wasVisible = panel.visible;
      }),
    ];
    subscriptions.push(panel.onDidDispose(() => {
      if (this.panel === panel) this.panel = undefined;
      vscode.Disposable.from(...subscriptions).dispose();
    }));
  }

  private receive(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.log.warn(`Ignored a malformed message from the panel: ${parsed.reason}`);
      return;
    }
    // After the snapshot, `ready` goes on too: what the snapshot does not hold (the
    // sequence-to-sequence card) is sent again by its owner.
    if (parsed.message.type === 'ready') this.sendSnapshot();
    if (parsed.message.type === 'export') void this.export(parsed.message.format);
    else if (parsed.message.type === 'savePng') void this.savePng(parsed.message.chart, parsed.message.dataUrl);
    else this.onCommand(parsed.message);
  }

  /** Saves the loss series (and, as JSON, the gradient-flow measurements) where the user says. */
  private async export(format: ExportFormat): Promise<void> {
    const snapshot = this.state.snapshot();
    if (!snapshot.run) return;
    const base = snapshot.run.fileName.replace(/\.[^.]*$/, '') || 'run';
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `${base}-${snapshot.run.cell}-metrics.${format}`;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: format === 'csv' ? { 'CSV': ['csv'] } : { 'JSON': ['json'] },
      title: vscode.l10n.t('Export LSTM Lab metrics'),
    });
    if (!target) return;
    try {
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(exportMetrics(snapshot, format)));
      this.log.info(`Exported metrics to ${target.toString()}`);
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab could not write {0}: {1}', target.fsPath, e instanceof Error ? e.message : String(e)));
    }
  }

  /** Saves a chart the panel drew as PNG where the user says. */
  private async savePng(chart: PngChart, dataUrl: string): Promise<void> {
    const bytes = Buffer.from(dataUrl.slice(PNG_DATA_URL.length), 'base64');
    // The PNG signature: what the panel sent is an image, whatever it claims.
    if (!bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
      this.log.warn('Ignored a chart image from the panel that is not a PNG');
      return;
    }
    const snapshot = this.state.snapshot();
    const base = snapshot.run ? `${snapshot.run.fileName.replace(/\.[^.]*$/, '') || 'run'}-${snapshot.run.cell}` : 'lstm-lab';
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, `${base}-${chart}.png`) : undefined,
      filters: { PNG: ['png'] },
      title: vscode.l10n.t('Save the chart as PNG'),
    });
    if (!target) return;
    try {
      await vscode.workspace.fs.writeFile(target, bytes);
      this.log.info(`Saved the ${chart} chart to ${target.toString()}`);
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab could not write {0}: {1}', target.fsPath, e instanceof Error ? e.message : String(e)));
    }
  }

  private sendSnapshot(): void {
    this.post({ type: 'snapshot', state: this.state.snapshot() });
    if (this.state.units) this.post({ type: 'units', search: this.state.units });
  }

  dispose(): void {
    this.panel?.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
