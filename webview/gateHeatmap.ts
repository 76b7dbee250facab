/**
 * Gates and states over the text around the cursor: units (rows) × tokens (columns) for one
 * layer and one name (a gate, the candidate, c or h). Gates use the sequential map over [0, 1];
 * signed values a diverging map, symmetric around 0 and scaled to the largest magnitude shown.
 */
import type { TraceView } from '../src/protocol/webviewProtocol';
import { DIVERGING_TABLE, SEQUENTIAL_TABLE } from './colormap';
import { frameTask } from './frame';
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
export function unitOrder(data: readonly number[], units: number, tokens: number, order: UnitOrder, gate = true): number[] {
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

/** How a token is shown under its column. */
export function tokenLabel(token: string): string {
  if (token === '\n') return '↵';
  if (token === '\t') return '⇥';
  if (token === ' ') return '·';
  return token.length > 3 ? `${token.slice(0, 3)}…` : token;
}

export class GateHeatmap {
  private readonly canvas = document.createElement('canvas');
  private readonly labels = document.createElement('canvas');
  private trace: TraceView | null = null;
  private choice: HeatmapChoice = { layer: 0, name: 'h' };
  private scale = 1;
  /** rows[r] is the unit drawn in row r. */
  private rows: number[] = [];
  /** Reused between redraws of the same size, to spare the garbage collector. */
  private image: ImageData | undefined;

  constructor(private readonly container: HTMLElement, private readonly tooltip: HTMLElement, private readonly legend: HTMLElement, onReveal: (offset: number) => void) {
    this.canvas.className = 'gate-canvas';
    this.labels.className = 'token-canvas';
    container.append(this.canvas, this.labels);
    new ResizeObserver(frameTask(() => this.draw())).observe(container);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => { this.tooltip.hidden = true; });
    // Clicking a token's column shows that position in the editor.
    this.canvas.addEventListener('click', (e) => {
      const t = this.trace;
      if (!t || t.tokens.length === 0) return;
      const rect = this.canvas.getBoundingClientRect();
      const token = Math.min(t.tokens.length - 1, Math.floor(((e.clientX - rect.left) / rect.width) * t.tokens.length));
      onReveal(t.offsets[token]);
    });
  }

  /** The names of a layer in display order, and how many layers there are. */
  static choices(trace: TraceView | null): { layers: number; names: string[] } {
    if (!trace || trace.layers.length === 0) return { layers: 0, names: [] };
    return { layers: trace.layers.length, names: Object.keys(trace.layers[0].values) };
  }

  set(trace: TraceView | null, choice: HeatmapChoice): void {
    this.trace = trace;
    this.choice = choice;
    this.draw();
  }

  private values(): { units: number; tokens: number; data: number[]; gate: boolean } | null {
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
      this.legend.textContent = '';
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
    this.rows = unitOrder(data, units, tokens, this.choice.order ?? 'unit', v.gate);
    for (let t = 0; t < tokens; t++) {
      for (let row = 0; row < units; row++) {
        const k = a * data[t * units + this.rows[row]] + b;
        // Missing values (a diverged model) stay transparent rather than posing as extremes.
        cells[row * tokens + t] = Number.isNaN(k) ? 0 : table[k >= 255 ? 255 : k > 0 ? Math.round(k) : 0];
      }
    }
    const width = Math.max(1, Math.floor(this.container.clientWidth));
    paintCells(this.canvas, image, width, Math.max(1, Math.floor(this.canvas.clientHeight)));
    this.drawLabels(width, v.tokens);
    this.legend.textContent = v.gate ? 'colour: 0 (dark) → 1 (light)' : `colour: −${this.scale.toPrecision(2)} (blue) → 0 → +${this.scale.toPrecision(2)} (red)`;
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

  private hover(e: MouseEvent): void {
    const v = this.values();
    if (!v) return;
    const rect = this.canvas.getBoundingClientRect();
    const token = Math.min(v.tokens - 1, Math.floor(((e.clientX - rect.left) / rect.width) * v.tokens));
    const unit = this.rows[Math.min(v.units - 1, Math.floor(((e.clientY - rect.top) / rect.height) * v.units))] ?? 0;
    const value = v.data[token * v.units + unit];
    this.tooltip.textContent = `unit ${unit} · ${JSON.stringify(this.trace!.tokens[token])} · ${this.choice.name} = ${value.toFixed(3)}`;
    this.tooltip.hidden = false;
    // Beside the pointer, flipped to its left near the right edge so it stays inside the panel.
    const box = this.container.getBoundingClientRect();
    const x = e.clientX - box.left;
    const left = x + 12 + this.tooltip.offsetWidth > box.width ? x - 12 - this.tooltip.offsetWidth : x + 12;
    this.tooltip.style.left = `${Math.max(0, left)}px`;
    this.tooltip.style.top = `${e.clientY - box.top + 12}px`;
  }
}

/** max |x| (at least 1e-6), by a loop: spreading a large array into Math.max overflows the stack. */
function largestMagnitude(xs: readonly number[]): number {
  let m = 1e-6;
  for (const x of xs) if (Number.isFinite(x) && Math.abs(x) > m) m = Math.abs(x);
  return m;
}
