/**
 * Keyboard cursors and data tables of the sequence-to-sequence card: the accuracy and loss lines
 * and the gradient bars (SVG, the cursor drawn in the SVG from the drawn points), and the
 * attention map (a canvas, the cursor outlined over its cell, with the hover's tooltip).
 */
import * as l10n from '@vscode/l10n';
import type { AttentionMap } from '../src/protocol/seq2seqMessages';
import type { Seq2SeqView } from '../src/protocol/webviewProtocol';
import { CursorBox, type ClientRect } from './cursorBox';
import { DataTableToggle } from './dataTable';
import { tokenLabel as visibleToken } from './gateHeatmap';
import { KeyCursor, type Cell } from './keyCursor';

const SVG = 'http://www.w3.org/2000/svg';
/** The end-of-target marker (src/engine/seq2seq/batches.ts). */
export const END = '</s>';

type Eval = Seq2SeqView['evals'][number];

/** The evaluations that carry a training loss: the first comes before any step. */
export function lossPoints(view: Seq2SeqView): Eval[] {
  return view.evals.filter((e) => e.step > 0 && Number.isFinite(e.loss) && e.loss > 0);
}

/** What the attention map's cell (written token `r`, source token `c`) holds, as its tooltip says it. */
export function attentionText(map: AttentionMap, r: number, c: number): string {
  const p = map.probs[r];
  const wrote = map.output[r] === END ? l10n.t('the end') : visibleToken(map.output[r]);
  const first = Number.isFinite(p) ? l10n.t('wrote {0} (p {1})', wrote, p.toFixed(2)) : l10n.t('wrote {0}', wrote);
  return `${first}\n${l10n.t('looking at {0} (source {1}): {2}', visibleToken(map.source[c]), c + 1, map.weights[r][c].toFixed(3))}`;
}

/** What the card gives its keyboard cursors. */
export interface Seq2SeqParts {
  view(): Seq2SeqView | null;
  /** The attention map drawn, or null. */
  map(): AttentionMap | null;
  /** Cell (r, c) of the drawn attention map, in client px. */
  attentionCell(r: number, c: number): ClientRect;
  /** Shows the attention tooltip at client point (x, y), or hides it (null). */
  attentionTip(text: string | null, clientX?: number, clientY?: number): void;
}

const percent = (f: number) => `${(100 * f).toFixed(1)}%`;
const seconds = (e: Eval) => l10n.t('after {0} s, step {1}', e.seconds.toFixed(0), e.step);
const lineKeys = () => l10n.t('Keys: ← → evaluations, Home End first and last, PgUp PgDn jump');

export class Seq2SeqAccess {
  private readonly keys: KeyCursor[];
  private readonly tables: DataTableToggle[];

  constructor(root: HTMLElement, private readonly parts: Seq2SeqParts) {
    const el = <T extends Element>(id: string) => root.querySelector<T>(`#${id}`)!;
    const evals = () => parts.view()?.evals ?? [];
    const losses = () => { const v = parts.view(); return v ? lossPoints(v) : []; };
    const norms = () => parts.view()?.sourceGradNorms ?? [];
    const accuracy = new KeyCursor(el<SVGSVGElement>('s2s-accuracy'), {
      size: () => ({ cols: evals().length, rows: 1 }),
      start: (cols) => ({ col: cols - 1, row: 0 }),
      describe: ({ col }) => { const e = evals()[col]; return l10n.t('{0}: exact match {1}, token accuracy {2} (evaluation {3} of {4})', seconds(e), percent(e.exactMatch), percent(e.tokenAccuracy), col + 1, evals().length); },
      draw: (cell) => linePoints(el('s2s-accuracy'), ['exact', 'tokens'], cell?.col ?? null),
    }, { roleDescription: l10n.t('chart'), hint: lineKeys(), empty: l10n.t('No evaluation yet.') });
    const loss = new KeyCursor(el<SVGSVGElement>('s2s-loss'), {
      size: () => ({ cols: losses().length, rows: 1 }),
      start: (cols) => ({ col: cols - 1, row: 0 }),
      describe: ({ col }) => { const e = losses()[col]; return l10n.t('{0}: training loss {1} nats per target token', seconds(e), e.loss.toFixed(3)); },
      draw: (cell) => linePoints(el('s2s-loss'), ['loss'], cell?.col ?? null),
    }, { roleDescription: l10n.t('chart'), hint: lineKeys(), empty: l10n.t('No training loss yet.') });
    const grad = new KeyCursor(el<SVGSVGElement>('s2s-grad'), {
      size: () => ({ cols: norms().length, rows: 1 }),
      describe: ({ col }) => l10n.t('source position {0} of {1}: gradient norm {2}', col + 1, norms().length, norms()[col].toPrecision(3)),
      draw: (cell) => barOutline(el('s2s-grad'), cell?.col ?? null),
    }, { roleDescription: l10n.t('chart'), hint: l10n.t('Keys: ← → source positions, Home End first and last'), empty: l10n.t('No gradient measured yet.') });
    const box = new CursorBox(el<HTMLElement>('s2s-attention'));
    const attention = new KeyCursor(el<HTMLElement>('s2s-attention'), {
      size: () => { const m = parts.map(); return { cols: m?.source.length ?? 0, rows: m?.output.length ?? 0 }; },
      describe: ({ col, row }) => attentionText(parts.map()!, row, col).replace('\n', ', '),
      draw: (cell) => this.drawAttention(box, cell),
    }, { roleDescription: l10n.t('heatmap'), hint: l10n.t('Keys: ← → source tokens, ↑ ↓ written tokens, Home End first and last source token'), empty: l10n.t('No attention map.') });
    this.keys = [accuracy, loss, grad, attention];
    this.tables = [
      new DataTableToggle(el('s2s-accuracy-caption'), l10n.t('held-out accuracy'), () => ({
        caption: l10n.t('Held-out accuracy by training time'),
        head: [l10n.t('seconds'), l10n.t('step'), l10n.t('exact match'), l10n.t('token accuracy')],
        rows: evals().map((e) => [e.seconds.toFixed(1), String(e.step), percent(e.exactMatch), percent(e.tokenAccuracy)]),
      }), accuracy.hint),
      new DataTableToggle(el('s2s-loss'), l10n.t('training loss'), () => ({
        caption: l10n.t('Mean training loss between evaluations, nats per target token'),
        head: [l10n.t('seconds'), l10n.t('step'), l10n.t('loss')],
        rows: losses().map((e) => [e.seconds.toFixed(1), String(e.step), e.loss.toFixed(3)]),
      }), loss.hint),
      new DataTableToggle(el('s2s-attention-caption'), l10n.t('attention'), () => {
        const m = parts.map();
        return m && m.output.length > 0 ? {
          caption: l10n.t('Attention weights: one row per written token, one column per source token'),
          head: [l10n.t('written'), ...m.source.map((t, c) => `${c + 1} ${visibleToken(t)}`)],
          rows: m.output.map((t, r) => [t === END ? l10n.t('end') : visibleToken(t), ...m.weights[r].map((w) => w.toFixed(2))]),
        } : null;
      }, attention.hint),
      new DataTableToggle(el('s2s-grad'), l10n.t('gradient by source position'), () => ({
        caption: l10n.t('Gradient norm reaching each source position (mean over recent steps)'),
        head: [l10n.t('position'), l10n.t('norm')],
        rows: norms().map((n, i) => [String(i + 1), n.toPrecision(3)]),
      }), grad.hint),
    ];
  }

  /** After the card is drawn again: cursors back in place, open tables up to date. */
  refresh(): void {
    for (const k of this.keys) k.refresh();
    for (const t of this.tables) t.changed();
  }

  private drawAttention(box: CursorBox, cell: Cell | null): void {
    const map = this.parts.map();
    if (!cell || !map || map.output.length === 0) {
      box.hide();
      this.parts.attentionTip(null);
      return;
    }
    const rect = this.parts.attentionCell(cell.row, cell.col);
    box.show(rect);
    this.parts.attentionTip(attentionText(map, cell.row, cell.col), rect.left + rect.width, rect.top + rect.height);
  }
}

/** Marks point `i` of each of the SVG's polylines of these classes, with a faint vertical line through it; null removes the marks. */
function linePoints(svg: SVGSVGElement, classes: readonly string[], i: number | null): void {
  svg.querySelectorAll('.cursor').forEach((e) => e.remove());
  if (i === null) return;
  const points = classes.map((c) => svg.querySelector(`polyline.${c}`)?.getAttribute('points')?.split(' ')[i]?.split(',').map(Number))
    .filter((p): p is number[] => p !== undefined && p.length === 2);
  if (points.length === 0) return;
  const height = svg.viewBox.baseVal?.height || svg.clientHeight;
  svg.append(shape('line', { class: 'cursor guide', x1: points[0][0], x2: points[0][0], y1: 0, y2: height }));
  for (const [x, y] of points) svg.append(shape('circle', { class: 'cursor', cx: x, cy: y, r: 4 }));
}

/** An outline around bar `i` of the SVG (at least a few px tall, so that a bar of 0 still shows it). */
function barOutline(svg: SVGSVGElement, i: number | null): void {
  svg.querySelectorAll('.cursor').forEach((e) => e.remove());
  const bar = i === null ? null : svg.querySelectorAll('rect.bar')[i];
  if (!bar) return;
  const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((a) => Number(bar.getAttribute(a)));
  const top = Math.min(y, y + h - 4) - 2;
  svg.append(shape('path', { class: 'cursor', d: `M${x - 2},${top}h${w + 4}v${y + h + 2 - top}h${-(w + 4)}z` }));
}

function shape(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}
