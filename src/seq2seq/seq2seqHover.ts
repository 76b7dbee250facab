/**
 * Hover on a line of the file a sequence-to-sequence model was trained on: the model's decoding
 * of the line's source, each written token's probability, and the source token it looked at most.
 */
import * as vscode from 'vscode';
import { whitespaceNames } from '../hover/predictionHover';
import { showToken as showTokenIn } from '../hover/tokenText';
import type { Translation } from './seq2seqController';

export interface Seq2SeqHoverSource {
  trainedUri(): vscode.Uri | undefined;
  enabled(): boolean;
  translate(source: string): Promise<Translation>;
}

/** The source part of a line of pairs: before the tab, or before " => " when there is no tab. */
export function sourceOfLine(line: string): string {
  const tab = line.indexOf('\t');
  if (tab >= 0) return line.slice(0, tab);
  const arrow = line.indexOf(' => ');
  return arrow >= 0 ? line.slice(0, arrow) : line;
}

export class Seq2SeqHoverProvider implements vscode.HoverProvider {
  constructor(private readonly source: Seq2SeqHoverSource) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const trained = this.source.trainedUri();
    if (!this.source.enabled() || !trained || trained.toString() !== document.uri.toString()) return undefined;
    const line = document.lineAt(position.line).text;
    const src = sourceOfLine(line);
    // Only the source part of the line is hovered.
    if (src.trim() === '' || position.character > src.length) return undefined;
    const t = await this.source.translate(src);
    if (token.isCancellationRequested) return undefined;
    return new vscode.Hover(renderTranslation(src, t), new vscode.Range(position.line, 0, position.line, src.length));
  }
}

export function renderTranslation(src: string, t: Translation): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, false);
  md.isTrusted = false;
  md.supportHtml = false;
  if (!t.ok) {
    md.appendMarkdown(`**LSTM Lab** · ${vscode.l10n.t('sequence to sequence')}\n\n`);
    md.appendText(vscode.l10n.t('No decoding: {0}', t.error));
    return md;
  }
  const names = whitespaceNames();
  const showToken = (token: string) => showTokenIn(token, names);
  md.appendMarkdown(`**LSTM Lab** · ${vscode.l10n.t('the model (step {0}) writes', t.step)}\n\n`);
  md.appendCodeblock(t.output, 'text');
  const rows = t.tokens.map((tok, k) => {
    const p = `${(100 * t.probs[k]).toFixed(1)}%`;
    const weights = t.attention?.weights[k];
    const cells = [cell(tok === '</s>' ? vscode.l10n.t('end') : showToken(tok)), p];
    if (weights && t.attention) {
      let best = 0;
      weights.forEach((w, j) => { if (w > weights[best]) best = j; });
      cells.push(`${cell(showToken(t.attention.source[best]))} (${best + 1}) ${(100 * weights[best]).toFixed(0)}%`);
    }
    return `| ${cells.join(' | ')} |`;
  });
  const [wrote, looked] = [vscode.l10n.t('wrote'), vscode.l10n.t('looked most at')];
  md.appendMarkdown(t.attention ? `| ${wrote} | p | ${looked} |\n|---|---|---|\n` : `| ${wrote} | p |\n|---|---|\n`);
  md.appendMarkdown(rows.join('\n') + '\n');
  if (!t.attention) {
    const shown = showToken(src.length > 20 ? `${src.slice(0, 20)}…` : src);
    md.appendMarkdown(`\n${vscode.l10n.t("This model has no attention: all it knows of {0} passed through the encoder's final state.", shown)}`);
  }
  return md;
}

/** A pipe would end a table cell. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}
