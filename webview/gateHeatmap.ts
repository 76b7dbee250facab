/**
 * Gates and states over the text around the cursor: units (rows) × tokens (columns) for one
 * layer and one name (a gate, the candidate, c or h). Gates use the sequential map over [0, 1];
 * signed values a diverging map, symmetric around 0 and scaled to the largest magnitude shown.
 */
import * as l10n from '@vscode/l10n';
import type { TraceView } from '../src/protocol/webviewProtocol';
import { DIVERGING_TABLE, SEQUENTIAL_TABLE } from './colormap';
import { CursorBox, cellRect } from './cursorBox';
import { DataTableToggle } from './dataTable';
import { frameTask } from './frame';
import { gateCellText, gateTable } from './gateText';
import { KeyCursor, type Cell, type NavAction } from './keyCursor';
import { paintCells } from './pixels';

export type UnitOrder = 'unit' | 'mean' | 'variance' | 'saturation';

export interface HeatmapChoice {
  layer: number;
  name: string;
  /** How the rows are ordered: by unit index, or descending by a statistic over the tokens. */
  order?: UnitOrder;
}

/**
 * Row order for the units: their index order, or descending mean, variance, or saturation (the
 * fraction of tokens below 0.1 or above 0.9). `data` is [tokens × units].
 */
export function unitOrder(data: ArrayLike<number>, units: number, tokens: number, order: UnitOrder, gate = true): number[] {
  const index = Array.from({ length: units }, (_, u) => u);
  if (order === 'unit' || tokens === 0) return index;
  const score = index.map((u) => {
    let sum = 0, sq = 0, sat = 0;
    for (let t = 0; t < tokens; t++) {
      const x = data[t * units + u];
      sum += x; sq += x * x;
      // A gate saturates towards 0 or 1; a signed value (tanh) towards ±1.
      if (gate ? x < 0.1 || x > 0.9 : Math.abs(x) > 0.9) sat++;
    }
    const mean = sum / tokens;
    return order === 'mean' ? mean : order === 'variance' ? sq / tokens - mean * mean : sat / tokens;
  });
  return index.sort((a, b) => score[b] - score[a] || a - b);
}

/** Reads saved pinned units loosely: non-negative integers, each once; anything else is dropped. */
export function parsePinnedUnits(value: unknown): number[] {
  if (!Array.isArray(value)) return [];
  const units = value.filter((u): u is number => Number.isInteger(u) && u >= 0 && u < 1_000_000);
  return [...new Set(units)].sort((a, b) => a - b);
}

/** How a token is shown under its column. */
export function tokenLabel(token: string): string {
  if (token === '\n') return '↵';
  if (token === '\t') return '⇥';
  if (token === ' ') return '·';
  return token.length > 3 ? `${token.slice(0, 3)}…` : token;
}

/**
 * Units can be pinned: clicking the gutter left of a row, or shift-clicking the row, pins its
 * unit, and again unpins it. Pinned units head the rows (in the chosen order among themselves),
 * with a marker in the gutter; the container lists them in `data-pinned`, ascending.
 */
export class GateHeatmap {
  private readonly canvas = document.createElement('canvas');
  private readonly labels = document.createElement('canvas');
  private readonly gutter = document.createElement('canvas');
  private pinned: number[] = [];
  /** How many of the rows, from the top, are pinned units of the shown layer. */
  private pinnedRows = 0;
  private onPinned: () => void = () => {};
  private trace: TraceView | null = null;
  private choice: HeatmapChoice = { layer: 0, name: 'h' };
  private scale = 1;
  /** rows[r] is the unit drawn in row r. */
  private rows: number[] = [];
  /** Reused between redraws of the same size, to spare the garbage collector. */
  private image: ImageData | undefined;
  private readonly keys: KeyCursor;
  private readonly box: CursorBox;
  private readonly table: DataTableToggle;

  constructor(private readonly container: HTMLElement, private readonly tooltip: HTMLElement, private readonly legend: HTMLElement, private readonly onReveal: (offset: number) => void) {
    this.canvas.className = 'gate-canvas';
    this.labels.className = 'token-canvas';
    this.gutter.className = 'gate-gutter';
    container.append(this.gutter, this.canvas, this.labels);
    this.box = new CursorBox(container);
    this.keys = new KeyCursor(container, {
      size: () => {
        const v = this.values();
        return { cols: v?.tokens ?? 0, rows: v?.units ?? 0 };
      },
      describe: ({ col, row }) => gateCellText(this.values()!, this.choice.name, this.trace!.tokens, this.rows[row], col, this.pinned.includes(this.rows[row])),
      draw: (cell) => this.drawCursor(cell),
      act: (action, cell) => this.act(action, cell),
    }, { roleDescription: l10n.t('heatmap'), hint: l10n.t('Keys: ← → tokens, ↑ ↓ units, Home End first and last token, PgUp PgDn jump units, Space pin the unit, Enter show the token in the editor'), empty: l10n.t('No gates traced yet.') });
    this.table = new DataTableToggle(legend, l10n.t('gates and states'), () => {
      const v = this.values();
      return v ? gateTable(v, this.choice.name, this.trace!.tokens, this.rows, this.pinned, this.keys.current()?.col ?? null) : null;
    }, this.keys.hint);
    this.markPinned();
    new ResizeObserver(frameTask(() => this.draw())).observe(container);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => { this.tooltip.hidden = true; });
    this.gutter.addEventListener('mousemove', (e) => this.hoverGutter(e));
    this.gutter.addEventListener('mouseleave', () => { this.tooltip.hidden = true; });
    this.gutter.addEventListener('click', (e) => {
      this.togglePinAt(e.clientY);
      this.hoverGutter(e);
    });
    // Clicking a token's column shows that position in the editor; shift-click pins the row.
    this.canvas.addEventListener('click', (e) => {
      if (e.shiftKey) {
        this.togglePinAt(e.clientY);
        return;
      }
      const t = this.trace;
      if (!t || t.tokens.length === 0) return;
      const rect = this.canvas.getBoundingClientRect();
      const token = Math.min(t.tokens.length - 1, Math.floor(((e.clientX - rect.left) / rect.width) * t.tokens.length));
      onReveal(t.offsets[token]);
    });
  }

  /** Space pins or unpins the cursor's unit (the cursor follows it to its new row); Enter shows its token in the editor. */
  private act(action: NavAction, { col, row }: Cell): string | undefined {
    const unit = this.rows[row];
    if (action === 'activate') {
      this.onReveal(this.trace!.offsets[col]);
      return l10n.t('Showing token {0} {1} in the editor', col + 1, JSON.stringify(this.trace!.tokens[col]));
    }
    if (action !== 'pin' || unit === undefined) return undefined;
    this.togglePin(unit);
    this.keys.moveTo({ col, row: this.rows.indexOf(unit) });
    return this.pinned.includes(unit) ? l10n.t('unit {0} pinned to the top', unit) : l10n.t('unit {0} unpinned', unit);
  }

  /** The cursor's cell outlined, with the hover's tooltip beside it. */
  private drawCursor(cell: Cell | null): void {
    const v = this.values();
    if (!cell || !v) {
      this.box.hide();
      this.tooltip.hidden = true;
      return;
    }
    const rect = cellRect(this.canvas.getBoundingClientRect(), v.tokens, v.units, cell.col, cell.row);
    this.box.show(rect);
    this.showTooltip(gateCellText(v, this.choice.name, this.trace!.tokens, this.rows[cell.row], cell.col, this.pinned.includes(this.rows[cell.row])),
      rect.left + rect.width, rect.top + rect.height);
  }

  /** The names of a layer in display order, and how many layers there are. */
  static choices(trace: TraceView | null): { layers: number; names: string[] } {
    if (!trace || trace.layers.length === 0) return { layers: 0, names: [] };
    return { layers: trace.layers.length, names: Object.keys(trace.layers[0].values) };
  }

  /** The pinned units, ascending. */
  get pinnedUnits(): readonly number[] {
    return this.pinned;
  }

  /** Replaces the pinned units (e.g. from saved state) and redraws. */
  setPinned(units: readonly number[]): void {
    this.pinned = parsePinnedUnits(units);
    this.markPinned();
    this.draw();
  }

  /** Calls `handler` after the user pins or unpins a unit. */
  onPinnedChange(handler: () => void): void {
    this.onPinned = handler;
  }

  set(trace: TraceView | null, choice: HeatmapChoice): void {
    this.trace = trace;
    this.choice = choice;
    this.draw();
  }

  private values(): { units: number; tokens: number; data: ArrayLike<number>; gate: boolean } | null {
    const t = this.trace;
    const layer = t?.layers[this.choice.layer];
    const data = layer?.values[this.choice.name];
    if (!t || !layer || !data || t.tokens.length === 0) return null;
    return { units: layer.units, tokens: t.tokens.length, data, gate: t.gates.includes(this.choice.name) };
  }

  private draw(): void {
    const v = this.values();
    this.container.dataset.tokens = String(v?.tokens ?? 0);
    this.container.dataset.units = String(v?.units ?? 0);
    this.container.dataset.name = this.choice.name;
    this.container.dataset.layer = String(this.choice.layer);
    this.container.dataset.order = this.choice.order ?? 'unit';
    if (!v) {
      this.canvas.width = 0;
      this.labels.width = 0;
      this.gutter.width = 0;
      this.pinnedRows = 0;
      this.legend.textContent = '';
      this.box.hide();
      this.table.changed();
      return;
    }
    this.scale = v.gate ? 1 : largestMagnitude(v.data);
    // Image: one pixel per (token, unit), tokens across, units down, coloured through a table.
    if (this.image?.width !== v.tokens || this.image.height !== v.units) this.image = new ImageData(v.tokens, v.units);
    const image = this.image;
    const cells = new Uint32Array(image.data.buffer);
    const table = v.gate ? SEQUENTIAL_TABLE : DIVERGING_TABLE;
    // Gates map [0, 1] onto the table; signed values map [−scale, +scale].
    const a = v.gate ? 255 : 127.5 / this.scale;
    const b = v.gate ? 0 : 127.5;
    const { data, units, tokens } = v;
    const order = unitOrder(data, units, tokens, this.choice.order ?? 'unit', v.gate);
    const top = order.filter((u) => this.pinned.includes(u));
    this.rows = top.length > 0 ? [...top, ...order.filter((u) => !this.pinned.includes(u))] : order;
    this.pinnedRows = top.length;
    for (let t = 0; t < tokens; t++) {
      for (let row = 0; row < units; row++) {
        const k = a * data[t * units + this.rows[row]] + b;
        // Missing values (a diverged model) stay transparent rather than posing as extremes.
        cells[row * tokens + t] = Number.isNaN(k) ? 0 : table[k >= 255 ? 255 : k > 0 ? Math.round(k) : 0];
      }
    }
    const width = Math.max(1, Math.floor(this.canvas.clientWidth));
    const height = Math.max(1, Math.floor(this.canvas.clientHeight));
    const ctx = paintCells(this.canvas, image, width, height);
    if (this.pinnedRows > 0 && this.pinnedRows < units) {
      // A gap in the page's colour between the pinned rows and the rest.
      ctx.fillStyle = getComputedStyle(document.body).backgroundColor;
      ctx.fillRect(0, Math.round((this.pinnedRows / units) * height) - 1, width, 2);
    }
    this.drawGutter(units);
    this.drawLabels(width, v.tokens);
    this.legend.textContent = v.gate ? l10n.t('colour: 0 (dark) → 1 (light)') : l10n.t('colour: −{0} (blue) → 0 → +{0} (red)', this.scale.toPrecision(2));
    this.keys.refresh();
    this.table.changed();
  }

  private drawLabels(width: number, tokens: number): void {
    const t = this.trace!;
    const height = 16;
    this.labels.width = width;
    this.labels.height = height;
    const ctx = this.labels.getContext('2d')!;
    const style = getComputedStyle(this.container);
    ctx.font = `11px ${style.getPropertyValue('--vscode-editor-font-family') || 'monospace'}`;
    ctx.fillStyle = style.color;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const column = width / tokens;
    // Label every token when there is room, otherwise every k-th.
    const every = Math.max(1, Math.ceil(9 / column));
    for (let i = 0; i < tokens; i += every) ctx.fillText(tokenLabel(t.tokens[i]), (i + 0.5) * column, 2);
  }

  /** A marker beside each pinned row, in the text colour; sized for the screen's pixels. */
  private drawGutter(units: number): void {
    const ratio = window.devicePixelRatio || 1;
    const width = this.gutter.clientWidth;
    const height = this.gutter.clientHeight;
    this.gutter.width = Math.round(width * ratio);
    this.gutter.height = Math.round(height * ratio);
    const ctx = this.gutter.getContext('2d')!;
    ctx.scale(ratio, ratio);
    ctx.fillStyle = getComputedStyle(this.container).color;
    const row = height / units;
    // Markers stay visible however thin the rows are; neighbours merge into one bar.
    const half = Math.min(5, Math.max(row / 2, 3));
    for (let r = 0; r < this.pinnedRows; r++) {
      const y = (r + 0.5) * row;
      ctx.beginPath();
      ctx.moveTo(2, y - half);
      ctx.lineTo(width - 3, y);
      ctx.lineTo(2, y + half);
      ctx.closePath();
      ctx.fill();
    }
  }

  /** The unit drawn at client y, or undefined outside the rows. */
  private unitAt(clientY: number): number | undefined {
    const v = this.values();
    if (!v) return undefined;
    const rect = this.canvas.getBoundingClientRect();
    const row = Math.floor(((clientY - rect.top) / rect.height) * v.units);
    return row >= 0 && row < v.units ? this.rows[row] : undefined;
  }

  private togglePinAt(clientY: number): void {
    const unit = this.unitAt(clientY);
    if (unit !== undefined) this.togglePin(unit);
  }

  private togglePin(unit: number): void {
    this.pinned = this.pinned.includes(unit) ? this.pinned.filter((u) => u !== unit) : [...this.pinned, unit].sort((a, b) => a - b);
    this.markPinned();
    this.draw();
    this.onPinned();
  }

  private markPinned(): void {
    this.container.dataset.pinned = this.pinned.join(',');
  }

  private hoverGutter(e: MouseEvent): void {
    const unit = this.unitAt(e.clientY);
    if (unit === undefined) return;
    this.showTooltip(this.pinned.includes(unit) ? l10n.t('unit {0} · click to unpin', unit) : l10n.t('unit {0} · click to pin to the top', unit), e.clientX, e.clientY);
  }

  private hover(e: MouseEvent): void {
    const v = this.values();
    if (!v) return;
    const rect = this.canvas.getBoundingClientRect();
    const token = Math.min(v.tokens - 1, Math.floor(((e.clientX - rect.left) / rect.width) * v.tokens));
    const unit = this.rows[Math.min(v.units - 1, Math.floor(((e.clientY - rect.top) / rect.height) * v.units))] ?? 0;
    const value = v.data[token * v.units + unit];
    this.showTooltip(l10n.t('unit {0} · {1} · {2} = {3}', unit, JSON.stringify(this.trace!.tokens[token]), this.choice.name, value.toFixed(3)), e.clientX, e.clientY);
  }

  /** The tooltip beside client point (x, y), flipped to its left near the right edge so it stays inside the panel. */
  private showTooltip(text: string, clientX: number, clientY: number): void {
    this.tooltip.textContent = text;
    this.tooltip.hidden = false;
    const box = this.container.getBoundingClientRect();
    const x = clientX - box.left;
    const left = x + 12 + this.tooltip.offsetWidth > box.width ? x - 12 - this.tooltip.offsetWidth : x + 12;
    this.tooltip.style.left = `${Math.max(0, left)}px`;
    this.tooltip.style.top = `${clientY - box.top + 12}px`;
  }
}

/** max |x| (at least 1e-6), by a loop: spreading a large array into Math.max overflows the stack. */
function largestMagnitude(xs: ArrayLike<number>): number {
  let m = 1e-6;
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i]) && Math.abs(xs[i]) > m) m = Math.abs(xs[i]);
  return m;
}
