/**
 * Hover on the trained document: what the model predicts after the hovered character, how
 * likely the character that actually follows was, and how open the gates are there.
 */
import * as vscode from 'vscode';
import type { PredictResult } from '../protocol/workerProtocol';

/** The trained document and a way to ask the engine for a prediction. */
export interface HoverSource {
  trainedUri(): vscode.Uri | undefined;
  enabled(): boolean;
  topK(): number;
  predict(context: string, next: string | null, topK: number): Promise<PredictResult>;
}

/** UTF-16 characters of context sent with a hover (the engine reads the last 256 code points). */
const CONTEXT_UNITS = 600;

export class PredictionHoverProvider implements vscode.HoverProvider {
  constructor(private readonly source: HoverSource) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const trained = this.source.trainedUri();
    if (!this.source.enabled() || !trained || trained.toString() !== document.uri.toString()) return undefined;
    const line = document.lineAt(position.line).text;
    let start = position.character;
    // Hovering the second half of a surrogate pair means the whole code point.
    if (start > 0 && isLowSurrogate(line.charCodeAt(start)) && isHighSurrogate(line.charCodeAt(start - 1))) start -= 1;
    const offset = document.offsetAt(new vscode.Position(position.line, start));
    // Only the text around the position: the document itself may be megabytes.
    const base = Math.max(0, offset - CONTEXT_UNITS);
    const text = document.getText(new vscode.Range(document.positionAt(base), document.positionAt(offset + 4)));
    const at = offset - base;
    if (at >= text.length) return undefined;
    const hoveredLength = isHighSurrogate(text.charCodeAt(at)) && isLowSurrogate(text.charCodeAt(at + 1)) ? 2 : 1;
    const end = at + hoveredLength;
    let from = Math.max(0, end - CONTEXT_UNITS);
    if (from > 0 && isLowSurrogate(text.charCodeAt(from))) from += 1;
    const context = text.slice(from, end);
    const next = nextCodePoint(text, end);
    let result: PredictResult;
    try {
      result = await this.source.predict(context, next, this.source.topK());
    } catch {
      return undefined;
    }
    if (token.isCancellationRequested) return undefined;
    const range = new vscode.Range(document.positionAt(offset), document.positionAt(offset + hoveredLength));
    return new vscode.Hover(renderPrediction(text.slice(at, end), result), range);
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function nextCodePoint(text: string, at: number): string | null {
  if (at >= text.length) return null;
  const cp = text.codePointAt(at)!;
  return String.fromCodePoint(cp);
}

/** Shows a character readably in markdown: whitespace by name, the rest as code. */
export function showChar(ch: string): string {
  const names: Record<string, string> = { ' ': '*space*', '\n': '*newline*', '\r': '*return*', '\t': '*tab*' };
  if (names[ch]) return names[ch];
  const cp = ch.codePointAt(0)!;
  if (cp < 32 || cp === 127) return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return '`` ' + ch.replace(/`/g, '\u02cb') + ' ``';
}

const BAR_WIDTH = 12;

export function renderPrediction(hovered: string, r: PredictResult): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = false;
  md.supportHtml = false;
  md.appendMarkdown(`**LSTM Lab** · next character after ${showChar(hovered)}\n\n`);
  md.appendMarkdown('| next | p | |\n|:--|--:|:--|\n');
  for (const t of r.top) {
    const filled = Math.round(t.p * BAR_WIDTH);
    md.appendMarkdown(`| ${showChar(t.token)} | ${(t.p * 100).toFixed(1)}% | ${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} |\n`);
  }
  md.appendMarkdown('\n');
  if (r.actual) {
    const a = r.actual;
    md.appendMarkdown(`Actual next ${showChar(a.token)}: p = ${(a.p * 100).toFixed(2)}%, surprisal ${a.surprisalBits.toFixed(2)} bits`);
    if (!a.known) md.appendMarkdown(' (not in the training vocabulary)');
    md.appendMarkdown('\n\n');
  } else {
    md.appendMarkdown('End of the document: nothing follows.\n\n');
  }
  if (r.gates.length > 0) {
    md.appendMarkdown('Gates here (mean over units):');
    r.gates.forEach((means, l) => {
      const parts = Object.entries(means).map(([g, v]) => `${g} ${v.toFixed(2)}`).join(' · ');
      md.appendMarkdown(`${r.gates.length > 1 ? `  \nlayer ${l + 1}:` : ''} ${parts}`);
    });
    md.appendMarkdown('\n\n');
  }
  md.appendMarkdown(`*Model reads the last ${r.contextChars} characters.*`);
  return md;
}
