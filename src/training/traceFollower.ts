/**
 * Keeps the panel's gate heatmaps on the text around the cursor (or the selection) in the trained
 * document: asks the engine for traces when the cursor moves (debounced) and now and then while
 * training, so the heatmap follows both the reader and the learning model.
 */
import * as vscode from 'vscode';
import type { Log } from '../log';
import { errorMessage } from '../protocol/messages';
import type { TraceView } from '../protocol/webviewProtocol';
import type { TraceResult } from '../protocol/inspectionMessages';

/** UTF-16 characters traced on each side of the cursor. */
const AROUND = 48;
/** Longest selection traced. */
const MAX_SPAN = 240;
const DEBOUNCE_MS = 250;
const REFRESH_MS = 3000;
/** Most numbers one trace sends to the panel (tokens × units × names × layers). */
const MAX_VALUES = 1_500_000;

export interface TraceSource {
  trainedUri(): vscode.Uri | undefined;
  /** While training, the heatmap is refreshed now and then as the model changes. */
  isTraining(): boolean;
  /** The run the panel shows and its latest step, or null when nobody would see a trace. */
  current(): { runId: string; step: number } | null;
  /** Traces `range` of the document (offsets in the result are from the range's start). */
  trace(document: vscode.TextDocument, range: vscode.Range): Promise<TraceResult>;
  show(runId: string, trace: TraceView): void;
}

/** The span to trace: the selection (capped), or the text around the cursor. */
export function spanAround(document: vscode.TextDocument, selection: vscode.Selection): vscode.Range {
  if (!selection.isEmpty) {
    const start = document.offsetAt(selection.start);
    const end = Math.min(document.offsetAt(selection.end), start + MAX_SPAN);
    return new vscode.Range(selection.start, document.positionAt(end));
  }
  const at = document.offsetAt(selection.active);
  return new vscode.Range(document.positionAt(Math.max(0, at - AROUND)), document.positionAt(at + AROUND));
}

export class TraceFollower implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = false;
  /** A request came in while a trace was being computed: run again when it is done. */
  private pending = false;
  private lastRange: { uri: string; range: vscode.Range } | undefined;
  private lastProblem = '';
  private disposed = false;

  constructor(private readonly source: TraceSource, private readonly log: Log) {
    this.disposables.push(
      vscode.window.onDidChangeTextEditorSelection((e) => { if (this.isTrained(e.textEditor.document)) this.schedule(); }),
      vscode.window.onDidChangeActiveTextEditor((e) => { if (e && this.isTrained(e.document)) this.schedule(); }),
    );
    const refresh = setInterval(() => { if (this.source.isTraining() && this.source.current()) this.schedule(); }, REFRESH_MS);
    this.disposables.push({ dispose: () => clearInterval(refresh) });
  }

  /** Traces soon (debounced). */
  schedule(): void {
    if (this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; void this.run(); }, DEBOUNCE_MS);
  }

  private isTrained(document: vscode.TextDocument): boolean {
    return this.source.trainedUri()?.toString() === document.uri.toString();
  }

  private target(): { document: vscode.TextDocument; range: vscode.Range } | undefined {
    const editor = vscode.window.visibleTextEditors.find((e) => this.isTrained(e.document));
    if (editor) return { document: editor.document, range: spanAround(editor.document, editor.selection) };
    // Not visible: keep tracing the last span, or the beginning of the document.
    const uri = this.source.trainedUri();
    const document = uri && vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (!document) return undefined;
    const range = this.lastRange?.uri === document.uri.toString() ? this.lastRange.range : new vscode.Range(0, 0, 0, 0).with(undefined, document.positionAt(2 * AROUND));
    return { document, range };
  }

  private async run(): Promise<void> {
    const current = this.source.current();
    if (!current) return;
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    const t = this.target();
    if (!t) return;
    this.lastRange = { uri: t.document.uri.toString(), range: t.range };
    if (t.range.isEmpty) return;
    const base = t.document.offsetAt(t.range.start);
    this.inFlight = true;
    try {
      const r = await this.source.trace(t.document, t.range);
      if (r.runId !== current.runId) return;
      const values = r.layers.reduce((n, l) => n + Object.keys(l.values).length * l.units * r.tokens.length, 0);
      if (values > MAX_VALUES) {
        this.note(`Trace of ${r.tokens.length} tokens has ${values} values, more than the panel takes (${MAX_VALUES}); select less text.`);
        return;
      }
      this.source.show(current.runId, {
        step: current.step,
        tokens: r.tokens,
        offsets: Array.from(r.offsets, (o) => base + o),
        layers: r.layers.map((l) => ({ units: l.units, values: l.values })),
        gates: Object.keys(r.saturation[0] ?? {}),
      });
    } catch (e) {
      // No model yet, or the engine is restarting: the next move or refresh tries again.
      this.note(`Trace skipped: ${errorMessage(e)}`);
    } finally {
      this.inFlight = false;
      if (this.pending) {
        this.pending = false;
        this.schedule();
      }
    }
  }

  /** Logs a problem once, not on every cursor move. */
  private note(problem: string): void {
    if (problem !== this.lastProblem) this.log.info(problem);
    this.lastProblem = problem;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
