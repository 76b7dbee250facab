/**
 * Keeps the engine's copy of the trained document in step with the editor: the whole text once,
 * then each edit as it happens, so that hovers, overlays, traces and unit searches read the
 * current text from the engine's kept states instead of sending text around.
 *
 * It also remembers which stretches were edited since the model last saw the document, so that
 * a hover there can say the model learned from other text.
 */
import * as vscode from 'vscode';
import type { Log } from '../log';
import { errorMessage } from '../protocol/messages';
import type { DocChange } from '../protocol/inspectionMessages';
import { applyToRanges, type Range16 } from './ranges';
import type { EngineWorker } from '../worker/engineWorker';

export interface MirrorSource {
  trainedUri(): vscode.Uri | undefined;
  /** While training the model changes every step, so reading ahead would be wasted. */
  isTraining(): boolean;
  /** Resolves once a model is ready in the engine (loading a stored one if needed). */
  ready(): Promise<void>;
}

/** Reading ahead waits for scrolling to settle. */
const WARM_DEBOUNCE_MS = 400;
/** Most text read ahead at once (a tall editor on long lines). */
const WARM_UNITS = 20_000;

export class DocumentMirror implements vscode.Disposable {
  private synced: { uri: string; key: string; generation: number } | undefined;
  private serial = 0;
  private edited: Range16[] = [];
  private editedUri = '';
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<vscode.TextDocumentChangeEvent>();
  private warmTimer: ReturnType<typeof setTimeout> | undefined;
  /** Fires after an edit of the trained document has been passed on. */
  readonly onDidEdit = this.changed.event;

  constructor(private readonly worker: EngineWorker, private readonly source: MirrorSource, private readonly log: Log) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeTextDocument((e) => this.onChange(e)),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.scheduleWarm(e.textEditor)),
      vscode.window.onDidChangeActiveTextEditor((e) => { if (e) this.scheduleWarm(e); }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (this.synced?.uri !== d.uri.toString()) return;
        const { key } = this.synced;
        this.synced = undefined;
        this.worker.docClose(key).catch(() => undefined);
      }),
    );
  }

  /** The model now reflects the document as it is: nothing counts as edited any more. */
  markTrained(uri: vscode.Uri): void {
    this.editedUri = uri.toString();
    this.edited = [];
  }

  /** Whether `offset` lies in text edited since the model was trained on this document. */
  isEdited(uri: vscode.Uri, offset: number): boolean {
    return uri.toString() === this.editedUri && this.edited.some((r) => offset >= r.start && offset < r.end);
  }

  /**
   * Runs `call` with the key of the document's copy in the engine, sending the text first when
   * the engine does not have it (first use, a new engine thread, or a copy out of step).
   */
  async with<T>(document: vscode.TextDocument, call: (key: string) => Promise<T>): Promise<T> {
    await this.source.ready();
    const key = this.ensure(document);
    try {
      return await call(key);
    } catch (e) {
      if (!/unknown document/.test(errorMessage(e))) throw e;
      // Only the copy this call used is stale; another call may already have sent a fresh one.
      if (this.synced?.key === key) this.synced = undefined;
      return call(this.ensure(document));
    }
  }

  /**
   * Reads the visible lines of the trained document ahead of any hover, so that hovers there
   * start from a kept state at most K tokens back (debounced; skipped while training).
   */
  private scheduleWarm(editor: vscode.TextEditor): void {
    if (editor.document.uri.toString() !== this.source.trainedUri()?.toString() || this.source.isTraining()) return;
    if (this.warmTimer) clearTimeout(this.warmTimer);
    this.warmTimer = setTimeout(() => {
      this.warmTimer = undefined;
      const visible = editor.visibleRanges;
      if (visible.length === 0 || editor.document.isClosed) return;
      const document = editor.document;
      const start = document.offsetAt(visible[0].start);
      const end = Math.min(document.offsetAt(visible[visible.length - 1].end), start + WARM_UNITS);
      this.with(document, (key) => this.worker.span({ key, start, end })).catch(() => undefined);
    }, WARM_DEBOUNCE_MS);
  }

  /** Reads ahead what `editor` shows now (also after training ends). */
  warm(editor: vscode.TextEditor): void {
    this.scheduleWarm(editor);
  }

  private ensure(document: vscode.TextDocument): string {
    const uri = document.uri.toString();
    const s = this.synced;
    if (s && s.uri === uri && s.generation === this.worker.generation) return s.key;
    const key = `${uri}#${++this.serial}`;
    // The copy it replaces (another file, or one out of step) is not needed any more.
    if (s && s.generation === this.worker.generation) this.worker.docClose(s.key).catch(() => undefined);
    // Posted now, before any later edit event: the engine sees the text, then the edits, in order.
    this.worker.docOpen(key, document.getText()).catch((e) => this.log.info(`The document copy could not be sent: ${errorMessage(e)}`));
    this.synced = { uri, key, generation: this.worker.generation };
    return key;
  }

  private onChange(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0) return;
    const uri = e.document.uri.toString();
    const changes: DocChange[] = e.contentChanges.map((c) => ({ offset: c.rangeOffset, removed: c.rangeLength, text: c.text }));
    if (uri === this.editedUri) this.edited = applyToRanges(this.edited, changes);
    const s = this.synced;
    if (s && s.uri === uri && s.generation === this.worker.generation) {
      this.worker.docEdit(s.key, changes, lengthOf(e.document)).catch(() => {
        // The next use sends the whole text again.
        if (this.synced === s) this.synced = undefined;
      });
    }
    if (uri === this.source.trainedUri()?.toString()) this.changed.fire(e);
  }

  dispose(): void {
    if (this.warmTimer) clearTimeout(this.warmTimer);
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

/** The document's length in UTF-16 units, without copying its text. */
export function lengthOf(document: vscode.TextDocument): number {
  return document.offsetAt(document.lineAt(document.lineCount - 1).range.end);
}
