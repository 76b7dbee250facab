/**
 * Find Units Tracking Pattern: marks what the user means (a regular expression's matches, or the
 * current selections) in the trained document, asks the engine which units' activations follow
 * that mask best (Pearson r over the tokens, per layer and per gate, c and h), and offers them:
 * in the panel and in a quick pick, where choosing one paints it on the text.
 */
import * as vscode from 'vscode';
import type { UnitSearchView } from '../protocol/webviewProtocol';
import type { UnitRef, UnitSearchResult } from '../protocol/inspectionMessages';
import { lengthOf } from './documentMirror';
import { describeUnit } from './overlays';
import { findMatches, type UnitSearchOptions } from './unitText';

export interface UnitSearchSource {
  trainedUri(): vscode.Uri | undefined;
  search(document: vscode.TextDocument, matches: { start: number; end: number }[], top: number): Promise<UnitSearchResult>;
  /** Lists the result in the panel. */
  show(view: UnitSearchView): void;
  showUnit(unit: UnitRef): void;
}

/** Units listed. */
const TOP_UNITS = 12;

export class UnitSearch implements vscode.Disposable {
  private readonly marks = vscode.window.createTextEditorDecorationType({
    borderStyle: 'solid', borderWidth: '0 0 2px 0', borderColor: new vscode.ThemeColor('lstmLab.patternMatchBorder'),
  });
  private lastPattern = '"[^"\\n]*"';
  /** The last result, for tests. */
  last: UnitSearchView | undefined;

  constructor(private readonly source: UnitSearchSource) {}

  async run(options: UnitSearchOptions = {}): Promise<UnitSearchView | undefined> {
    const uri = this.source.trainedUri();
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri?.toString());
    if (!uri || !editor) {
      void vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab: train a model on a file (or open the file of a stored run) first; units are searched in the trained file.'));
      return undefined;
    }
    const document = editor.document;
    let matches: { start: number; end: number }[];
    // `described` goes to the panel as it is; `shown` names the same in the display language.
    let described: string;
    let shown: string;
    const selections = editor.selections.filter((s) => !s.isEmpty);
    if (options.pattern === undefined && selections.length > 0) {
      matches = selections.map((s) => ({ start: document.offsetAt(s.start), end: document.offsetAt(s.end) })).sort((a, b) => a.start - b.start);
      described = selections.length === 1 ? 'the selection' : `${selections.length} selections`;
      shown = selections.length === 1 ? vscode.l10n.t('the selection') : vscode.l10n.t('{0} selections', selections.length);
    } else {
      const input = options.pattern ?? await vscode.window.showInputBox({
        title: vscode.l10n.t('Find Units Tracking Pattern'),
        prompt: vscode.l10n.t('A regular expression: units whose activation is high (or low) exactly on its matches are listed. Or select text first and run the command again.'),
        value: this.lastPattern,
        validateInput: (v) => regexProblem(v),
      });
      if (input === undefined) return undefined;
      const problem = regexProblem(input, options.flags);
      if (problem) {
        void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab: {0}', problem));
        return undefined;
      }
      this.lastPattern = input;
      matches = findMatches(document.getText(), new RegExp(input, `${options.flags ?? ''}gu`));
      described = `/${input}/`;
      shown = described;
    }
    if (matches.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: {0} matches nothing in {1}.', shown, document.fileName.split(/[\\/]/).pop() ?? ''));
      return undefined;
    }
    editor.setDecorations(this.marks, matches.map((m) => new vscode.Range(document.positionAt(m.start), document.positionAt(m.end))));
    const version = document.version;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('LSTM Lab: correlating units with the matches') },
      () => this.source.search(document, matches, TOP_UNITS),
    );
    if (document.version !== version) {
      void vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab: the file changed during the search, so the matches moved; run Find Units Tracking Pattern again.'));
      return undefined;
    }
    if (result.positives === 0 || result.positives === result.tokens) {
      void vscode.window.showInformationMessage(result.positives === 0
        ? vscode.l10n.t('LSTM Lab: {0} covers none of the {1} tokens read, so nothing can follow it.', shown, result.tokens)
        : vscode.l10n.t('LSTM Lab: {0} covers all of the {1} tokens read, so nothing can follow it.', shown, result.tokens));
      return undefined;
    }
    const view: UnitSearchView = {
      pattern: described, tokens: result.tokens, positives: result.positives, truncated: result.end < lengthOf(document),
      units: result.units.map((u) => ({ layer: u.layer, name: u.name, unit: u.unit, r: u.r, inside: u.inside, outside: u.outside })),
    };
    this.last = view;
    this.source.show(view);
    if (options.pick === false || view.units.length === 0) return view;
    const pick = await vscode.window.showQuickPick(view.units.map((u) => ({
      label: describeUnit(u), description: `r = ${u.r.toFixed(2)}`,
      detail: vscode.l10n.t('mean {0} on the matches, {1} elsewhere', u.inside.toFixed(2), u.outside.toFixed(2)), unit: u as UnitRef,
    })), {
      title: vscode.l10n.t('Units tracking {0} ({1} of {2} tokens match)', shown, view.positives, view.tokens),
      placeHolder: vscode.l10n.t('Pick a unit to paint its activation on the text'),
    });
    if (pick) this.source.showUnit({ layer: pick.unit.layer, name: pick.unit.name, unit: pick.unit.unit });
    return view;
  }

  clearMarks(): void {
    for (const e of vscode.window.visibleTextEditors) e.setDecorations(this.marks, []);
  }

  dispose(): void {
    this.marks.dispose();
  }
}

function regexProblem(v: string, flags = ''): string | null {
  if (v.length === 0) return vscode.l10n.t('type a regular expression');
  try {
    new RegExp(v, `${flags}gu`);
    return null;
  } catch (e) {
    return vscode.l10n.t('not a regular expression: {0}', e instanceof Error ? e.message : String(e));
  }
}
