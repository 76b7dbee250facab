/**
 * The sequence-to-sequence card: held-out accuracy over training time (SVG lines), the attention
 * map of the first held-out pair (written tokens × source tokens, a canvas with a tooltip), the
 * gradient reaching each source position (SVG bars) and a few held-out examples marked right or
 * wrong. Drawn from the host's Seq2SeqView whenever it changes.
 */
import * as l10n from '@vscode/l10n';
import type { AttentionMap } from '../src/protocol/seq2seqMessages';
import type { Seq2SeqView } from '../src/protocol/webviewProtocol';
import { sequentialColor } from './colormap';
import { tokenLabel as visibleToken } from './gateHeatmap';
import { frameTask } from './frame';
import { paintCells } from './pixels';
import { attentionText, END, lossPoints, Seq2SeqAccess } from './seq2seqAccess';
import { MAX_TYPED_SOURCE } from '../src/protocol/seq2seqPanel';
import { Seq2SeqRunList, statusText, type Seq2SeqRunListActions } from './seq2seqRunList';

const SVG = 'http://www.w3.org/2000/svg';
/** Pixels per attention cell, at most; the labels' band around the cells. */
const CELL = 22;
const LABEL = 28;

/** What the card's buttons and decode box ask of the host. */
export interface Seq2SeqCardActions extends Seq2SeqRunListActions {
  decode(source: string): void;
  continueTraining(): void;
  save(): void;
  load(): void;
}

export class Seq2SeqCard {
  private view: Seq2SeqView | null = null;
  private readonly canvas: HTMLCanvasElement;
  private readonly cells = document.createElement('canvas');
  private map: AttentionMap | null = null;
  private cell = CELL;
  private readonly access: Seq2SeqAccess;

  private readonly runList: Seq2SeqRunList;

  constructor(private readonly root: HTMLElement, actions: Seq2SeqCardActions) {
    this.runList = new Seq2SeqRunList(this.el('s2s-runs'), actions);
    const source = this.el<HTMLElement & { value: string }>('s2s-source');
    const decode = () => {
      const text = (source.value ?? '').replace(/[\t\r\n]+/g, ' ');
      if (text.trim() !== '' && !this.el('s2s-decode').hasAttribute('disabled')) actions.decode(text.slice(0, MAX_TYPED_SOURCE));
    };
    source.addEventListener('keydown', (e) => { if (e.key === 'Enter') decode(); });
    this.el('s2s-decode').addEventListener('click', decode);
    this.el('s2s-continue').addEventListener('click', () => { if (this.view?.hasModel) actions.continueTraining(); });
    this.el('s2s-save').addEventListener('click', () => { if (this.view?.hasModel) actions.save(); });
    this.el('s2s-load').addEventListener('click', () => actions.load());
    this.canvas = document.createElement('canvas');
    this.el('s2s-attention').prepend(this.canvas);
    this.canvas.addEventListener('mousemove', (e) => this.tooltip(e));
    this.canvas.addEventListener('mouseleave', () => { this.el('s2s-attention-tooltip').hidden = true; });
    this.access = new Seq2SeqAccess(root, {
      view: () => this.view,
      map: () => this.map,
      attentionCell: (r, c) => {
        const box = this.canvas.getBoundingClientRect();
        return { left: box.left + LABEL + c * this.cell, top: box.top + LABEL + r * this.cell, width: this.cell, height: this.cell };
      },
      attentionTip: (text, x = 0, y = 0) => {
        const box = this.canvas.getBoundingClientRect();
        this.showTip(text, x - box.left, y - box.top);
      },
    });
    new ResizeObserver(frameTask(() => this.set(this.view))).observe(root);
  }

  private el<T extends HTMLElement = HTMLElement>(id: string): T {
    return this.root.querySelector<T>(`#${id}`)!;
  }

  set(view: Seq2SeqView | null): void {
    this.view = view;
    this.root.hidden = view === null;
    if (!view) return;
    const last = view.evals[view.evals.length - 1];
    const parts = [
      view.status === 'running' ? l10n.t('training · step {0}', view.step) : statusText(view.status),
      ...(view.tokensPerSec > 0 ? [l10n.t('{0} tokens/s', Math.round(view.tokensPerSec).toLocaleString('en'))] : []),
      ...(last ? [l10n.t('exact match {0}%, tokens {1}% after {2} s', (100 * last.exactMatch).toFixed(1), (100 * last.tokenAccuracy).toFixed(1), last.seconds.toFixed(0))] : []),
    ];
    this.el('s2s-status').textContent = `${view.fileName}: ${parts.join(' · ')}${view.message ? ` — ${view.message}` : ''}`;
    this.el('s2s-config').textContent = view.summary;
    const idle = view.status !== 'running' && view.status !== 'starting';
    this.el('s2s-continue').toggleAttribute('disabled', !view.hasModel);
    this.el('s2s-save').toggleAttribute('disabled', !view.hasModel);
    this.el('s2s-load').toggleAttribute('disabled', !idle);
    // While a run trains its model decodes (between steps); afterwards, the kept one.
    this.el('s2s-decode').toggleAttribute('disabled', !(view.hasModel || view.status === 'running'));
    this.accuracy(view);
    this.loss(view);
    this.attention(view.focus ? view.focus.attention : view.attention);
    const f = view.focus;
    this.el('s2s-attention-title').textContent = !f ? l10n.t('The first held-out pair (put the cursor on a line of the trained file to see its own)')
      : f.line === null ? l10n.t('Your source “{0}”: the model writes “{1}”', f.source, f.output)
      : f.target === null ? l10n.t('Line {0} of the file (the cursor\'s): the model writes “{1}”', f.line + 1, f.output)
        : f.output === f.target ? l10n.t('Line {0} of the file (the cursor\'s): the model writes “{1}”, right', f.line + 1, f.output)
          : l10n.t('Line {0} of the file (the cursor\'s): the model writes “{1}”, the target is “{2}”', f.line + 1, f.output, f.target);
    this.gradient(view.sourceGradNorms);
    this.examples(view);
    this.runList.set(view.runs, !idle);
    this.access.refresh();
  }

  private accuracy(view: Seq2SeqView): void {
    const svg = this.el('s2s-accuracy') as unknown as SVGSVGElement;
    svg.replaceChildren();
    svg.dataset.points = String(view.evals.length);
    const w = Math.max(100, svg.clientWidth || 300);
    const h = Math.max(60, svg.clientHeight || 140);
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    const left = 34;
    const bottom = h - 16;
    const top = 6;
    const maxT = Math.max(1, ...view.evals.map((e) => e.seconds), ...view.compare.flatMap((c) => c.evals.map((e) => e.seconds)));
    const x = (t: number) => left + ((w - left - 6) * t) / maxT;
    const y = (v: number) => bottom - (bottom - top) * v;
    for (const v of [0, 0.5, 1]) {
      svg.append(make('line', { class: 'axis', x1: left, x2: w - 6, y1: y(v), y2: y(v) }));
      svg.append(make('text', { class: 'label', x: 2, y: y(v) + 3 }, `${v * 100}%`));
    }
    svg.append(make('text', { class: 'label', x: w - 6, y: h - 3, 'text-anchor': 'end' }, l10n.t('{0} s', maxT.toFixed(0))));
    const line = (cls: string, f: (e: Seq2SeqView['evals'][number]) => number) =>
      svg.append(make('polyline', { class: cls, points: view.evals.map((e) => `${x(e.seconds).toFixed(1)},${y(f(e)).toFixed(1)}`).join(' ') }));
    // Earlier runs on the file: their exact match, dashed, under this run's lines.
    view.compare.forEach((c, k) => svg.append(make('polyline', { class: `other-${k + 1}`, points: c.evals.map((e) => `${x(e.seconds).toFixed(1)},${y(e.exactMatch).toFixed(1)}`).join(' ') })));
    line('tokens', (e) => e.tokenAccuracy);
    line('exact', (e) => e.exactMatch);
    const legend = this.el('s2s-compare');
    legend.dataset.runs = String(view.compare.length);
    legend.replaceChildren(...view.compare.map((c, k) => {
      const li = document.createElement('li');
      li.className = `other-${k + 1}`;
      const end = c.evals[c.evals.length - 1];
      li.textContent = end ? l10n.t('{0}: {1}% after {2} s', c.label, (100 * end.exactMatch).toFixed(1), end.seconds.toFixed(0)) : c.label;
      return li;
    }));
    const last = view.evals[view.evals.length - 1];
    this.el('s2s-accuracy-caption').textContent = last
      ? l10n.t('{0} evaluations; last at step {1}: exact match {2}%, token accuracy {3}%', view.evals.length, last.step, (100 * last.exactMatch).toFixed(1), (100 * last.tokenAccuracy).toFixed(1))
      : '';
  }

  /** Mean training loss between evaluations (the first evaluation comes before any step). */
  private loss(view: Seq2SeqView): void {
    const svg = this.el('s2s-loss') as unknown as SVGSVGElement;
    svg.replaceChildren();
    const points = lossPoints(view);
    svg.dataset.points = String(points.length);
    if (points.length === 0) return;
    const w = Math.max(100, svg.clientWidth || 300);
    const h = Math.max(40, svg.clientHeight || 90);
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    const left = 34;
    const bottom = h - 14;
    const maxT = Math.max(1, ...view.evals.map((e) => e.seconds));
    const maxL = Math.max(...points.map((e) => e.loss));
    const x = (t: number) => left + ((w - left - 6) * t) / maxT;
    const y = (v: number) => bottom - ((bottom - 6) * v) / maxL;
    for (const v of [0, maxL]) {
      svg.append(make('line', { class: 'axis', x1: left, x2: w - 6, y1: y(v), y2: y(v) }));
      svg.append(make('text', { class: 'label', x: 2, y: y(v) + 3 }, v.toFixed(2)));
    }
    svg.append(make('text', { class: 'label', x: w - 6, y: h - 2, 'text-anchor': 'end' }, l10n.t('{0} s · nats per target token', maxT.toFixed(0))));
    svg.append(make('polyline', { class: 'loss', points: points.map((e) => `${x(e.seconds).toFixed(1)},${y(e.loss).toFixed(1)}`).join(' ') }));
  }

  private attention(map: AttentionMap | null): void {
    this.map = map;
    const box = this.el('s2s-attention');
    const caption = this.el('s2s-attention-caption');
    box.dataset.rows = String(map?.output.length ?? 0);
    box.dataset.columns = String(map?.source.length ?? 0);
    if (!map || map.output.length === 0) {
      this.canvas.width = 0;
      this.canvas.height = 0;
      caption.textContent = this.view?.summary.includes('attention none') ? l10n.t('This model has no attention.') : l10n.t('No decoding yet.');
      return;
    }
    const cols = map.source.length;
    const rows = map.output.length;
    const width = Math.max(120, box.clientWidth || 400);
    this.cell = Math.max(4, Math.min(CELL, Math.floor((width - LABEL) / Math.max(cols, 1))));
    const image = new ImageData(cols, rows);
    map.weights.forEach((row, r) => row.forEach((v, c) => {
      const [red, g, b] = sequentialColor(v);
      image.data.set([red, g, b, 255], (r * cols + c) * 4);
    }));
    // The cells on a canvas of their own, then placed after a band for the labels.
    paintCells(this.cells, image, cols * this.cell, rows * this.cell);
    this.canvas.width = LABEL + cols * this.cell;
    this.canvas.height = LABEL + rows * this.cell;
    const ctx = this.canvas.getContext('2d')!;
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(this.cells, LABEL, LABEL);
    const style = getComputedStyle(document.body);
    ctx.fillStyle = style.getPropertyValue('--vscode-descriptionForeground').trim() || style.getPropertyValue('--vscode-foreground').trim() || '#888';
    ctx.font = `${Math.min(12, this.cell - 2)}px ${style.getPropertyValue('--vscode-editor-font-family').trim() || 'monospace'}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    if (this.cell >= 8) {
      map.source.forEach((t, c) => ctx.fillText(visibleToken(t), LABEL + (c + 0.5) * this.cell, LABEL / 2));
      map.output.forEach((t, r) => ctx.fillText(t === END ? l10n.t('end') : visibleToken(t), LABEL / 2, LABEL + (r + 0.5) * this.cell));
    }
    caption.textContent = l10n.t('{0} → {1} · rows: written tokens (the last one the end), columns: source tokens', map.source.join(''), map.output.filter((t) => t !== END).join(''));
  }

  private tooltip(e: MouseEvent): void {
    const map = this.map;
    const r = Math.floor((e.offsetY - LABEL) / this.cell);
    const c = Math.floor((e.offsetX - LABEL) / this.cell);
    const inside = map && r >= 0 && c >= 0 && r < map.output.length && c < map.source.length;
    this.showTip(inside ? attentionText(map, r, c) : null, e.offsetX, e.offsetY);
  }

  /** The attention tooltip beside canvas point (x, y); null hides it. */
  private showTip(text: string | null, x: number, y: number): void {
    const tip = this.el('s2s-attention-tooltip');
    tip.hidden = text === null;
    if (text === null) return;
    tip.textContent = text;
    tip.style.left = `${x + 12}px`;
    tip.style.top = `${y + 12}px`;
  }

  private gradient(norms: number[]): void {
    const svg = this.el('s2s-grad') as unknown as SVGSVGElement;
    svg.replaceChildren();
    svg.dataset.positions = String(norms.length);
    if (norms.length === 0) return;
    const w = Math.max(100, svg.clientWidth || 300);
    const h = Math.max(40, svg.clientHeight || 90);
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    const max = Math.max(...norms, 1e-12);
    const band = (w - 4) / norms.length;
    norms.forEach((n, i) => {
      const bh = ((h - 14) * n) / max;
      svg.append(make('rect', { class: 'bar', x: 2 + i * band + 1, y: h - 12 - bh, width: Math.max(1, band - 2), height: bh }));
      svg.append(make('text', { class: 'label', x: 2 + (i + 0.5) * band, y: h - 1, 'text-anchor': 'middle' }, String(i + 1)));
    });
  }

  private examples(view: Seq2SeqView): void {
    const body = this.el('s2s-examples');
    body.dataset.examples = String(view.examples.length);
    body.replaceChildren(...view.examples.map((x) => {
      const tr = document.createElement('tr');
      const mark = document.createElement('td');
      mark.className = x.correct ? 'right' : 'wrong';
      mark.textContent = x.correct ? '✓' : '✗';
      mark.setAttribute('aria-label', x.correct ? l10n.t('right') : l10n.t('wrong'));
      tr.append(mark, ...[x.source, x.output, x.target].map((t) => {
        const td = document.createElement('td');
        td.textContent = t;
        return td;
      }));
      return tr;
    }));
  }
}

function make(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}
