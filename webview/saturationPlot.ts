/**
 * Gate saturation of one layer over the traced text: for each gate a small scatter plot with one
 * point per unit, at x = the fraction of tokens where the gate is below 0.1 (nearly shut) and
 * y = the fraction where it is above 0.9 (nearly open). Points on the diagonal x + y = 1 are
 * always saturated one way or the other; points near the origin rarely are.
 */
import * as l10n from '@vscode/l10n';
import type { TraceView } from '../src/protocol/webviewProtocol';
import { observeThemeChanges, readChartTheme } from './chartTheme';
import type { ChartTheme } from './chartTheme';
import { CursorBox } from './cursorBox';
import { DataTableToggle, type TableData } from './dataTable';
import { frameTask } from './frame';
import { KeyCursor, keyHint } from './keyCursor';

/** Below this a gate counts as shut, above 1 − this as open. */
const EDGE = 0.1;
/** Side of each plot and its margins, in CSS px. */
const SIZE = 150;
const MARGIN = { left: 30, right: 8, top: 8, bottom: 28 };
const RADIUS = 2.5;
/** How near (CSS px) the pointer must be to a point to name its unit. */
const HOVER_PX = 6;

/** Per unit, the fractions of tokens below 0.1 and above 0.9; NaN for a unit with no finite value. */
export function saturationFractions(data: ArrayLike<number>, units: number, tokens: number): { shut: number[]; open: number[] } {
  const shut = new Array<number>(units).fill(0);
  const open = new Array<number>(units).fill(0);
  const seen = new Array<number>(units).fill(0);
  for (let t = 0; t < tokens; t++) {
    for (let u = 0; u < units; u++) {
      const x = data[t * units + u];
      if (!Number.isFinite(x)) continue;
      seen[u]++;
      if (x < EDGE) shut[u]++;
      else if (x > 1 - EDGE) open[u]++;
    }
  }
  for (let u = 0; u < units; u++) {
    shut[u] = seen[u] > 0 ? shut[u] / seen[u] : NaN;
    open[u] = seen[u] > 0 ? open[u] / seen[u] : NaN;
  }
  return { shut, open };
}

interface GatePlot {
  figure: HTMLElement;
  canvas: HTMLCanvasElement;
  caption: HTMLElement;
  gate: string;
  shut: number[];
  open: number[];
  keys?: KeyCursor;
}

/**
 * The plots inside `section` (hidden while the layer has no gates). The section's `data-layer`
 * and `data-gates` (names, comma-separated) say what is shown; each plot's figure carries its
 * gate in `data-gate` and the number of points drawn in `data-points`.
 */
export class SaturationPlot {
  private readonly row = document.createElement('div');
  private readonly tooltip = document.createElement('div');
  private plots: GatePlot[] = [];
  private theme: ChartTheme;
  /** The keyboard cursor's point: one for all the plots, shared by their keys. */
  private readonly box: CursorBox;
  private readonly hint = keyHint(l10n.t('Keys: ← → units, Home End first and last unit, PgUp PgDn jump; Tab to the next gate'));
  private readonly table: DataTableToggle;

  constructor(private readonly section: HTMLElement) {
    this.row.className = 'saturation-plots';
    this.tooltip.className = 'heatmap-tooltip';
    this.tooltip.hidden = true;
    section.append(this.row, this.tooltip);
    this.box = new CursorBox(section, true);
    this.table = new DataTableToggle(this.row, l10n.t('saturation'), () => this.tableData(), this.hint);
    section.dataset.gates = '';
    // The row sets the (small) font the plots' labels are drawn in.
    this.theme = readChartTheme(this.row);
    observeThemeChanges(frameTask(() => {
      this.theme = readChartTheme(this.row);
      this.drawAll();
    }));
  }

  /** Shows the gates of `layer` in `trace`; without a trace or gates the section hides. */
  set(trace: TraceView | null, layer: number): void {
    const values = trace?.layers[layer];
    const tokens = trace?.tokens.length ?? 0;
    const gates = values && tokens > 0 ? trace!.gates.filter((g) => values.values[g] !== undefined) : [];
    this.section.hidden = gates.length === 0;
    this.section.dataset.layer = String(layer);
    this.section.dataset.gates = gates.join(',');
    if (this.plots.length !== gates.length) {
      this.plots = gates.map(() => this.makePlot());
      this.row.replaceChildren(...this.plots.map((p) => p.figure));
    }
    gates.forEach((gate, i) => {
      const p = this.plots[i];
      const { shut, open } = saturationFractions(values!.values[gate], values!.units, tokens);
      p.shut = shut;
      p.open = open;
      p.gate = gate;
      p.figure.dataset.gate = gate;
      p.caption.textContent = gate;
      p.canvas.setAttribute('aria-label', l10n.t('Saturation of the {0} gate: one point per unit', gate));
    });
    this.drawAll();
    for (const p of this.plots) p.keys?.refresh();
    this.table.changed();
  }

  private makePlot(): GatePlot {
    const figure = document.createElement('figure');
    figure.className = 'saturation-plot';
    const canvas = document.createElement('canvas');
    const caption = document.createElement('figcaption');
    figure.append(canvas, caption);
    const plot: GatePlot = { figure, canvas, caption, gate: '', shut: [], open: [] };
    canvas.addEventListener('mousemove', (e) => this.hover(plot, e));
    canvas.addEventListener('mouseleave', () => { this.tooltip.hidden = true; });
    plot.keys = new KeyCursor(canvas, {
      size: () => ({ cols: plot.shut.length, rows: 1 }),
      describe: ({ col }) => l10n.t('{0} gate, {1}', plot.gate, this.pointText(plot, col)),
      draw: (cell) => this.drawCursor(plot, cell?.col ?? null),
    }, { roleDescription: l10n.t('scatter plot'), hint: this.hint });
    return plot;
  }

  /** Unit `u`'s point: its fractions, and the other units drawn at the same place. */
  private pointText(p: GatePlot, u: number): string {
    if (!Number.isFinite(p.shut[u])) return l10n.t('unit {0}: no finite value', u);
    const same = p.shut.map((_, w) => w).filter((w) => w !== u && p.shut[w] === p.shut[u] && p.open[w] === p.open[u]);
    const list = same.length > 8 ? l10n.t('{0} … {1} in all', same.slice(0, 8).join(', '), same.length) : same.join(', ');
    const args = [u, percent(p.shut[u]), percent(p.open[u]), list] as const;
    if (same.length === 0) return l10n.t('unit {0}: shut {1}, open {2}', ...args);
    return same.length === 1 ? l10n.t('unit {0}: shut {1}, open {2} (also unit {3})', ...args) : l10n.t('unit {0}: shut {1}, open {2} (also units {3})', ...args);
  }

  /** A ring around unit `u`'s point, with the hover's tooltip beside it. */
  private drawCursor(p: GatePlot, u: number | null): void {
    if (u === null || !Number.isFinite(p.shut[u])) {
      this.box.hide();
      this.tooltip.hidden = true;
      return;
    }
    const rect = p.canvas.getBoundingClientRect();
    const { x0, x1, y0, y1 } = frame();
    const x = rect.left + ((x0 + p.shut[u] * (x1 - x0)) / SIZE) * rect.width;
    const y = rect.top + ((y0 - p.open[u] * (y0 - y1)) / SIZE) * rect.height;
    this.box.show({ left: x - 6, top: y - 6, width: 12, height: 12 });
    this.placeTooltip(this.pointText(p, u), x, y);
  }

  /** Each unit's fractions for every gate of the layer. */
  private tableData(): TableData | null {
    const units = this.plots[0]?.shut.length ?? 0;
    if (units === 0) return null;
    return {
      caption: l10n.t('Saturation of the gates of layer {0}: share of tokens where each is shut (< 0.1) and open (> 0.9)', Number(this.section.dataset.layer) + 1),
      head: [l10n.t('unit'), ...this.plots.flatMap((p) => [l10n.t('{0} shut', p.gate), l10n.t('{0} open', p.gate)])],
      rows: Array.from({ length: units }, (_, u) => [String(u), ...this.plots.flatMap((p) => [p.shut[u], p.open[u]].map((f) => (Number.isFinite(f) ? percent(f) : '–')))]),
    };
  }

  private drawAll(): void {
    for (const p of this.plots) this.draw(p);
  }

  private draw(p: GatePlot): void {
    const ratio = window.devicePixelRatio || 1;
    p.canvas.width = Math.round(SIZE * ratio);
    p.canvas.height = Math.round(SIZE * ratio);
    const ctx = p.canvas.getContext('2d')!;
    ctx.scale(ratio, ratio);
    const t = this.theme;
    const { x0, x1, y0, y1 } = frame();
    const px = (f: number) => x0 + f * (x1 - x0);
    const py = (f: number) => y0 - f * (y0 - y1);

    // Grid at 0.5, the frame, then the diagonal x + y = 1, faint and dashed.
    ctx.lineWidth = 1;
    ctx.strokeStyle = t.grid;
    ctx.beginPath();
    ctx.moveTo(px(0.5), y0); ctx.lineTo(px(0.5), y1);
    ctx.moveTo(x0, py(0.5)); ctx.lineTo(x1, py(0.5));
    ctx.stroke();
    ctx.strokeRect(x0 + 0.5, y1 + 0.5, x1 - x0 - 1, y0 - y1 - 1);
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(px(0), py(1));
    ctx.lineTo(px(1), py(0));
    ctx.stroke();
    ctx.setLineDash([]);

    // Tick values and axis labels.
    ctx.fillStyle = t.axis;
    ctx.font = t.font;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const f of [0, 0.5, 1]) ctx.fillText(String(f), px(f), y0 + 2);
    ctx.fillText(l10n.t('shut (< 0.1)'), (x0 + x1) / 2, y0 + 14);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    // Only the ends on y: a middle value would run into the rotated axis label.
    for (const f of [0, 1]) ctx.fillText(String(f), x0 - 3, py(f));
    ctx.save();
    ctx.translate(MARGIN.left - 12, (y0 + y1) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(l10n.t('open (> 0.9)'), 0, 0);
    ctx.restore();

    // One translucent dot per unit, so that stacked units read darker.
    ctx.fillStyle = t.train;
    ctx.globalAlpha = 0.6;
    let drawn = 0;
    for (let u = 0; u < p.shut.length; u++) {
      const x = p.shut[u];
      const y = p.open[u];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      ctx.beginPath();
      ctx.arc(px(x), py(y), RADIUS, 0, 2 * Math.PI);
      ctx.fill();
      drawn++;
    }
    ctx.globalAlpha = 1;
    p.figure.dataset.points = String(drawn);
  }

  /** Names the units under the pointer (several units often share a point). */
  private hover(p: GatePlot, e: MouseEvent): void {
    const rect = p.canvas.getBoundingClientRect();
    const mx = ((e.clientX - rect.left) / rect.width) * SIZE;
    const my = ((e.clientY - rect.top) / rect.height) * SIZE;
    const { x0, x1, y0, y1 } = frame();
    const near: number[] = [];
    for (let u = 0; u < p.shut.length; u++) {
      const dx = x0 + p.shut[u] * (x1 - x0) - mx;
      const dy = y0 - p.open[u] * (y0 - y1) - my;
      if (dx * dx + dy * dy <= HOVER_PX * HOVER_PX) near.push(u);
    }
    if (near.length === 0) {
      this.tooltip.hidden = true;
      return;
    }
    const u = near[0];
    const units = near.length === 1 ? l10n.t('unit {0}', u) : l10n.t('units {0}', `${near.slice(0, 8).join(', ')}${near.length > 8 ? ` … (${near.length})` : ''}`);
    this.placeTooltip(l10n.t('{0} · shut {1} · open {2}', units, percent(p.shut[u]), percent(p.open[u])), e.clientX, e.clientY);
  }

  /** The tooltip beside client point (x, y), flipped to its left near the right edge so it stays inside the panel. */
  private placeTooltip(text: string, clientX: number, clientY: number): void {
    this.tooltip.textContent = text;
    this.tooltip.hidden = false;
    const box = this.section.getBoundingClientRect();
    const x = clientX - box.left;
    const left = x + 12 + this.tooltip.offsetWidth > box.width ? x - 12 - this.tooltip.offsetWidth : x + 12;
    this.tooltip.style.left = `${Math.max(0, left)}px`;
    this.tooltip.style.top = `${clientY - box.top + 12}px`;
  }
}

/** The plot area inside the canvas, in CSS px: x from x0 to x1, y from y0 (bottom) up to y1. */
function frame(): { x0: number; x1: number; y0: number; y1: number } {
  return { x0: MARGIN.left, x1: SIZE - MARGIN.right, y0: SIZE - MARGIN.bottom, y1: MARGIN.top };
}

function percent(f: number): string {
  return `${Math.round(f * 100)}%`;
}
