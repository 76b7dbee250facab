/**
 * Paints what the model sees on the text itself: each token's surprisal, or one unit's activation
 * (the classic picture of a cell that tracks quotes), as background heat. Only the visible lines
 * are computed and painted; scrolling, edits and a model that changes while training repaint them.
 * The colours are theme colours (`lstmLab.surprisal1`…, `lstmLab.activationPositive1`…), so themes
 * and high contrast can set them.
 */
import * as vscode from 'vscode';
import type { Log } from '../log';
import { errorMessage } from '../protocol/messages';
import type { SpanValues, UnitRef } from '../protocol/inspectionMessages';
import { ACTIVATION_LEVELS, activationScale, levelOf, scaleKind, SURPRISAL_LEVELS } from './overlayScale';

/** What the last paint did. */
export interface PaintReport {
  generation: number;
  /** Document version painted. */
  version: number;
  /** Tokens computed and ranges painted (tokens under the first level are left bare). */
  tokens: number;
  ranges: number;
  /** The stretch computed, in UTF-16 offsets. */
  start: number;
  end: number;
  mode: OverlayMode['kind'];
}

export type OverlayMode = { kind: 'off' } | { kind: 'surprisal' } | { kind: 'unit'; unit: UnitRef };

export interface OverlaySource {
  trainedUri(): vscode.Uri | undefined;
  isTraining(): boolean;
  span(document: vscode.TextDocument, start: number, end: number, want: { surprisal?: boolean; unit?: UnitRef }): Promise<SpanValues>;
  /** Fires after an edit of the trained document reached the engine. */
  onDidEdit: vscode.Event<unknown>;
}

/** Lines painted beyond the visible ones, so that a small scroll shows paint at once. */
const MARGIN_LINES = 5;
const DEBOUNCE_MS = 150;
const EDIT_DEBOUNCE_MS = 300;
const TRAINING_REFRESH_MS = 3000;
/** Most text painted at once (the engine reads up to 60,000 characters per request). */
const MAX_PAINT_UNITS = 50_000;

export class EditorOverlays implements vscode.Disposable {
  private mode: OverlayMode = { kind: 'off' };
  private readonly surprisalTypes = SURPRISAL_LEVELS.map((_, i) => decoration(`lstmLab.surprisal${i + 1}`));
  private readonly positiveTypes = ACTIVATION_LEVELS.map((_, i) => decoration(`lstmLab.activationPositive${i + 1}`));
  private readonly negativeTypes = ACTIVATION_LEVELS.map((_, i) => decoration(`lstmLab.activationNegative${i + 1}`));
  private readonly legend = vscode.window.createStatusBarItem('lstmLab.overlayLegend', vscode.StatusBarAlignment.Right, 90);
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;
  /** A paint is waiting for the engine; a request meanwhile paints once more after it. */
  private inFlight = false;
  private pending = false;
  private disposed = false;
  private wasTraining = false;
  /** What the last paint did, for tests and the log. */
  private painted: PaintReport = { generation: 0, version: -1, tokens: 0, ranges: 0, start: 0, end: 0, mode: 'off' };

  constructor(private readonly source: OverlaySource, private readonly log: Log) {
    this.legend.name = vscode.l10n.t('LSTM Lab overlay');
    this.legend.command = 'lstmLab.hideOverlay';
    this.disposables.push(
      this.legend,
      ...this.surprisalTypes, ...this.positiveTypes, ...this.negativeTypes,
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => { if (this.isTrained(e.textEditor.document)) this.schedule(DEBOUNCE_MS); }),
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(DEBOUNCE_MS)),
      source.onDidEdit(() => this.schedule(EDIT_DEBOUNCE_MS)),
    );
    // While training the model changes: repaint now and then, and once more when the run ends.
    const refresh = setInterval(() => {
      const training = this.source.isTraining();
      if (this.mode.kind !== 'off' && (training || this.wasTraining)) this.schedule(0);
      this.wasTraining = training;
    }, TRAINING_REFRESH_MS);
    this.disposables.push({ dispose: () => clearInterval(refresh) });
  }

  get current(): OverlayMode {
    return this.mode;
  }

  /** The last paint: document version, tokens and ranges painted, and the painted stretch. */
  get lastPaint(): Readonly<PaintReport> {
    return this.painted;
  }

  toggleSurprisal(): OverlayMode {
    this.set(this.mode.kind === 'surprisal' ? { kind: 'off' } : { kind: 'surprisal' });
    return this.mode;
  }

  showUnit(unit: UnitRef): void {
    this.set({ kind: 'unit', unit });
  }

  hide(): void {
    this.set({ kind: 'off' });
  }

  /** Paints now (tests and commands wait for it). */
  async refresh(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.paint();
  }

  private set(mode: OverlayMode): void {
    this.mode = mode;
    void vscode.commands.executeCommand('setContext', 'lstmLab.overlay', mode.kind);
    this.updateLegend();
    if (mode.kind === 'off') this.clearAll();
    this.schedule(0);
  }

  private updateLegend(): void {
    const m = this.mode;
    if (m.kind === 'off') {
      this.legend.hide();
      return;
    }
    const md = new vscode.MarkdownString(undefined, true);
    if (m.kind === 'surprisal') {
      this.legend.text = `$(flame) ${vscode.l10n.t('Surprisal')}`;
      md.appendMarkdown(`${vscode.l10n.t('**Surprisal overlay**: how unexpected each token was to the model, −log₂ p(token | text before it).')}\n\n`);
      md.appendMarkdown(`| ${vscode.l10n.t('shade')} | ${vscode.l10n.t('bits')} |\n|:--|:--|\n`);
      SURPRISAL_LEVELS.forEach((edge, i) => md.appendMarkdown(`| ${'▮'.repeat(i + 1)} | ${i + 1 < SURPRISAL_LEVELS.length ? `${edge}–${SURPRISAL_LEVELS[i + 1]}` : vscode.l10n.t('{0} or more', edge)} |\n`));
      md.appendMarkdown(`\n${vscode.l10n.t('Unpainted: under {0} bit (the model expected it).', SURPRISAL_LEVELS[0])}`);
    } else {
      this.legend.text = `$(pulse) ${describeUnit(m.unit)}`;
      md.appendMarkdown(`${vscode.l10n.t('**Unit activation overlay**: {0}, shown as {1}.', describeUnit(m.unit), scaleDescription(m.unit.name))}\n\n`);
      md.appendMarkdown(vscode.l10n.t('Warm shades: positive; cool shades: negative; darker is stronger. Unpainted: within ±0.2.'));
    }
    md.appendMarkdown(`\n\n*${vscode.l10n.t('Click to hide the overlay.')}*`);
    this.legend.tooltip = md;
    this.legend.show();
  }

  private isTrained(document: vscode.TextDocument): boolean {
    return this.source.trainedUri()?.toString() === document.uri.toString();
  }

  private schedule(ms: number): void {
    if (this.mode.kind === 'off' || this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; void this.paint(); }, ms);
  }

  private clearAll(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      for (const t of [...this.surprisalTypes, ...this.positiveTypes, ...this.negativeTypes]) editor.setDecorations(t, []);
    }
    this.painted = { ...this.painted, tokens: 0, ranges: 0, mode: 'off' };
  }

  private async paint(): Promise<void> {
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    this.inFlight = true;
    try {
      await this.paintOnce();
    } finally {
      this.inFlight = false;
      if (this.pending) {
        this.pending = false;
        this.schedule(0);
      }
    }
  }

  private async paintOnce(): Promise<void> {
    const mode = this.mode;
    if (mode.kind === 'off' || this.disposed) return;
    const editor = vscode.window.visibleTextEditors.find((e) => this.isTrained(e.document));
    if (!editor) return;
    const trained = this.source.trainedUri()?.toString();
    const generation = ++this.generation;
    const document = editor.document;
    const version = document.version;
    const visible = editor.visibleRanges.length > 0 ? editor.visibleRanges : [new vscode.Range(0, 0, 40, 0)];
    const firstLine = Math.max(0, Math.min(...visible.map((r) => r.start.line)) - MARGIN_LINES);
    const lastLine = Math.min(document.lineCount - 1, Math.max(...visible.map((r) => r.end.line)) + MARGIN_LINES);
    const start = document.offsetAt(new vscode.Position(firstLine, 0));
    // Very long lines (minified files) are painted up to a limit the engine takes at once.
    const end = Math.min(document.offsetAt(document.lineAt(lastLine).rangeIncludingLineBreak.end), start + MAX_PAINT_UNITS);
    let values: SpanValues;
    try {
      values = await this.source.span(document, start, end, mode.kind === 'surprisal' ? { surprisal: true } : { unit: mode.unit });
    } catch (e) {
      const problem = errorMessage(e);
      this.log.info(`Overlay not painted: ${problem}`);
      // A unit the model does not have: say so and take the overlay down, rather than fail on every scroll.
      if (mode.kind === 'unit' && this.mode === mode && /does not exist|is not traced/.test(problem)) {
        void vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab: {0}.', problem));
        this.hide();
      }
      return;
    }
    // A newer paint, a mode change or an edit since the request: that paint wins.
    if (generation !== this.generation || this.mode !== mode || document.version !== version || this.disposed || this.source.trainedUri()?.toString() !== trained) return;
    const buckets = (mode.kind === 'surprisal' ? this.surprisalTypes : [...this.positiveTypes, ...this.negativeTypes]).map(() => [] as vscode.Range[]);
    let ranges = 0;
    for (let i = 0; i < values.starts.length; i++) {
      let b = -1;
      if (mode.kind === 'surprisal') {
        b = levelOf(SURPRISAL_LEVELS, values.bits![i]);
      } else {
        const v = activationScale(mode.unit.name, values.unit![i]);
        const level = levelOf(ACTIVATION_LEVELS, Math.abs(v));
        if (level >= 0) b = v > 0 ? level : ACTIVATION_LEVELS.length + level;
      }
      if (b < 0) continue;
      buckets[b].push(new vscode.Range(document.positionAt(values.starts[i]), document.positionAt(values.ends[i])));
      ranges++;
    }
    const types = mode.kind === 'surprisal' ? this.surprisalTypes : [...this.positiveTypes, ...this.negativeTypes];
    const others = mode.kind === 'surprisal' ? [...this.positiveTypes, ...this.negativeTypes] : this.surprisalTypes;
    types.forEach((t, i) => editor.setDecorations(t, buckets[i]));
    others.forEach((t) => editor.setDecorations(t, []));
    this.painted = { generation, version, tokens: values.starts.length, ranges, start, end, mode: mode.kind };
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

/** A unit as the overlay's legend and the unit search name it: "layer 1 · c · unit 17". */
export function describeUnit(u: UnitRef): string {
  return vscode.l10n.t('layer {0} · {1} · unit {2}', u.layer + 1, u.name, u.unit);
}

/** How a unit's values are put on the −1…1 scale, in words. */
function scaleDescription(name: string): string {
  switch (scaleKind(name)) {
    case 'signed': return vscode.l10n.t('{0} in −1…1', name);
    case 'tanh': return vscode.l10n.t('tanh(c) in −1…1');
    case 'gate': return vscode.l10n.t("2·{0} − 1 (the gate's 0…1 centred on ½)", name);
  }
}

function decoration(color: string): vscode.TextEditorDecorationType {
  return vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor(color), rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed });
}
