/**
 * Hover on the trained document: what the model predicts after the hovered token (a character
 * or a word token), how likely the token that actually follows was, and how open the gates are
 * there. The engine reads up to the hovered token from its kept states of the document.
 */
import * as vscode from 'vscode';
import { lengthOf } from '../editor/documentMirror';
import type { HoverResult } from '../protocol/inspectionMessages';
import { showToken as showTokenIn, type WhitespaceNames } from './tokenText';

/** The trained document and a way to ask the engine about a position in it. */
export interface HoverSource {
  trainedUri(): vscode.Uri | undefined;
  enabled(): boolean;
  topK(): number;
  /** Whether the hover also says how the model read up to the token. */
  details(): boolean;
  hover(document: vscode.TextDocument, offset: number, topK: number): Promise<HoverResult>;
  /** Whether the text at `offset` was edited since the model was trained on it. */
  isEdited(document: vscode.TextDocument, offset: number): boolean;
}

export class PredictionHoverProvider implements vscode.HoverProvider {
  constructor(private readonly source: HoverSource) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const trained = this.source.trainedUri();
    if (!this.source.enabled() || !trained || trained.toString() !== document.uri.toString()) return undefined;
    // A position past the line's end (or on an empty line) means its line break.
    const offset = document.offsetAt(document.validatePosition(position));
    if (offset >= lengthOf(document)) return undefined;
    let result: HoverResult;
    try {
      result = await this.source.hover(document, offset, this.source.topK());
    } catch {
      return undefined;
    }
    if (token.isCancellationRequested) return undefined;
    const range = new vscode.Range(document.positionAt(result.start), document.positionAt(result.end));
    return new vscode.Hover(renderPrediction(result, this.source.isEdited(document, result.start), this.source.details()), range);
  }
}

const BAR_WIDTH = 12;

/** How whitespace is named in hovers, in the display language. */
export function whitespaceNames(): WhitespaceNames {
  return { ' ': vscode.l10n.t('space'), '\n': vscode.l10n.t('newline'), '\r': vscode.l10n.t('return'), '\t': vscode.l10n.t('tab') };
}

/** The hover's text: compact (predictions, the actual token, gate means) unless `details` asks for how it was read. */
export function renderPrediction(r: HoverResult, edited = false, details = false): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = false;
  md.supportHtml = false;
  const names = whitespaceNames();
  const showToken = (token: string) => showTokenIn(token, names);
  const next = r.mode === 'word' ? vscode.l10n.t('next token after {0}', showToken(r.token)) : vscode.l10n.t('next character after {0}', showToken(r.token));
  md.appendMarkdown(`**LSTM Lab** · ${next}\n\n`);
  if (!r.known) md.appendMarkdown(`${vscode.l10n.t("{0} is not in the model's vocabulary: the model read it as the unknown token.", showToken(r.token))}\n\n`);
  if (edited) md.appendMarkdown(`$(edit) *${vscode.l10n.t('Edited since training: the model learned from different text here.')}*\n\n`);
  md.appendMarkdown(`| ${vscode.l10n.t('next')} | p | |\n|:--|--:|:--|\n`);
  for (const t of r.top) {
    const filled = Math.round(t.p * BAR_WIDTH);
    md.appendMarkdown(`| ${showToken(t.token)} | ${(t.p * 100).toFixed(1)}% | ${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} |\n`);
  }
  md.appendMarkdown('\n');
  if (r.actual) {
    const a = r.actual;
    md.appendMarkdown(vscode.l10n.t('Actual next {0}: p = {1}%, surprisal {2} bits', showToken(a.token), (a.p * 100).toFixed(2), a.surprisalBits.toFixed(2)));
    if (!a.known) md.appendMarkdown(vscode.l10n.t(' (not in the training vocabulary)'));
    md.appendMarkdown('\n\n');
  } else {
    md.appendMarkdown(`${vscode.l10n.t('End of the document: nothing follows.')}\n\n`);
  }
  if (r.gates.length > 0) {
    md.appendMarkdown(vscode.l10n.t('Gates here (mean over units):'));
    r.gates.forEach((means, l) => {
      const parts = Object.entries(means).map(([g, v]) => `${g} ${v.toFixed(2)}`).join(' · ');
      md.appendMarkdown(`${r.gates.length > 1 ? `  \n${vscode.l10n.t('layer {0}:', l + 1)}` : ''} ${parts}`);
    });
    md.appendMarkdown('\n\n');
  }
  if (!details) return md;
  const read = r.cached
    ? (r.steps === 1
      ? vscode.l10n.t('The model read up to here on from the nearest state it kept (or from the start of the file): {0} step for this hover.', r.steps)
      : vscode.l10n.t('The model read up to here on from the nearest state it kept (or from the start of the file): {0} steps for this hover.', r.steps))
    : (r.steps === 1
      ? vscode.l10n.t('The model read up to here after a warm-up on the text just before it, from a fresh state: {0} step for this hover.', r.steps)
      : vscode.l10n.t('The model read up to here after a warm-up on the text just before it, from a fresh state: {0} steps for this hover.', r.steps));
  md.appendMarkdown(`*${read}*`);
  return md;
}
