/**
 * Gradient flow over training: one column per measurement (training goes left to right), one row
 * per lag (lag 0 at the top), coloured by the norm relative to lag 0 on a log scale. Drawn as an
 * ImageData of columns × lags, scaled up without smoothing. The keyboard's cursor walks the cells;
 * its table lists a few lags of every measurement.
 */
import * as l10n from '@vscode/l10n';
import type { GradFlow } from '../src/protocol/webviewProtocol';
import { gradShade, sequentialColor } from './colormap';
import { CursorBox, cellRect } from './cursorBox';
import { DataTableToggle, type TableData } from './dataTable';
import { frameTask } from './frame';
import { KeyCursor, type Cell } from './keyCursor';
import { paintCells } from './pixels';

export class GradHeatmap {
  private readonly canvas: HTMLCanvasElement;
  private history: readonly GradFlow[] = [];
  private lags = 0;
  private readonly keys: KeyCursor;
  private readonly box: CursorBox;
  private readonly table: DataTableToggle;

  constructor(private readonly container: HTMLElement, private readonly caption: HTMLElement) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'heatmap-canvas';
    container.appendChild(this.canvas);
    this.box = new CursorBox(container);
    new ResizeObserver(frameTask(() => this.set(this.history))).observe(container);
    this.keys = new KeyCursor(container, {
      size: () => ({ cols: this.history.length, rows: this.lags }),
      start: (cols) => ({ col: cols - 1, row: 0 }),
      describe: (cell) => this.describe(cell),
      draw: (cell) => this.drawCursor(cell),
    }, { roleDescription: l10n.t('heatmap'), hint: l10n.t('Keys: ← → measurements, ↑ ↓ lags, Home End first and last measurement, PgUp PgDn jump lags'), empty: l10n.t('No gradient measurement yet.') });
    this.table = new DataTableToggle(caption, l10n.t('gradient flow over training'), () => this.tableData(), this.keys.hint);
  }

  set(history: readonly GradFlow[]): void {
    this.history = history;
    const columns = history.length;
    const lags = columns > 0 ? Math.max(...history.map((g) => g.h.length)) : 0;
    this.lags = lags;
    this.container.dataset.columns = String(columns);
    this.container.dataset.lags = String(lags);
    const clipped = history.some((g) => g.clipped);
    this.caption.textContent = columns === 0 ? ''
      : clipped ? l10n.t('steps {0}–{1} · {2} measurements · red ticks: clipped', history[0].step, history[columns - 1].step, columns)
        : l10n.t('steps {0}–{1} · {2} measurements', history[0].step, history[columns - 1].step, columns);
    this.table.changed();
    if (columns === 0 || lags === 0) {
      this.canvas.width = 0;
      this.box.hide();
      return;
    }
    // One extra row on top marks the measurements whose gradient was clipped.
    const image = new ImageData(columns, lags + 1);
    const px = image.data;
    history.forEach((g, x) => {
      for (let k = 0; k < lags; k++) {
        const rel = relative(g, k);
        const [r, gr, b] = sequentialColor(gradShade(rel));
        const i = ((k + 1) * columns + x) * 4;
        px[i] = r; px[i + 1] = gr; px[i + 2] = b; px[i + 3] = Number.isFinite(rel) ? 255 : 0;
      }
      if (g.clipped) {
        const i = x * 4;
        px[i] = 230; px[i + 1] = 60; px[i + 2] = 60; px[i + 3] = 255;
      }
    });
    paintCells(this.canvas, image, Math.max(1, Math.floor(this.container.clientWidth)), Math.max(1, Math.floor(this.container.clientHeight)));
    this.keys.refresh();
  }

  private describe({ col, row }: Cell): string {
    const g = this.history[col];
    const rel = relative(g, row);
    const value = Number.isFinite(rel) ? l10n.t('{0} of lag 0', norm(rel)) : l10n.t('no value');
    const args = [g.step, col + 1, this.history.length, row, value] as const;
    return g.clipped ? l10n.t('step {0} (measurement {1} of {2}), lag {3}: {4}, clipped', ...args) : l10n.t('step {0} (measurement {1} of {2}), lag {3}: {4}', ...args);
  }

  private drawCursor(cell: Cell | null): void {
    if (!cell || this.history.length === 0) {
      this.box.hide();
      return;
    }
    // Lag k is drawn in row k + 1, under the row of clipping marks.
    this.box.show(cellRect(this.canvas.getBoundingClientRect(), this.history.length, this.lags + 1, cell.col, cell.row + 1));
  }

  /** Every measurement with its norm at lag 0 and relative norms at a few lags: the whole map would be thousands of cells. */
  private tableData(): TableData | null {
    if (this.history.length === 0 || this.lags === 0) return null;
    const lags = [...new Set([1, Math.floor(this.lags / 4), Math.floor(this.lags / 2), this.lags - 1])].filter((k) => k > 0 && k < this.lags);
    return {
      caption: l10n.t('Gradient norm by lag over training, relative to lag 0'),
      head: [l10n.t('step'), l10n.t('norm at lag 0'), ...lags.map((k) => l10n.t('lag {0}', k)), l10n.t('clipped')],
      rows: this.history.map((g) => [String(g.step), norm(g.h[0]), ...lags.map((k) => {
        const rel = relative(g, k);
        return Number.isFinite(rel) ? norm(rel) : '–';
      }), g.clipped ? l10n.t('yes') : l10n.t('no')]),
      note: l10n.t('One row per measurement, at {0} of its {1} lags; the arrow keys on the map reach every lag.', lags.length, this.lags),
    };
  }
}

/** The norm `k` steps back relative to lag 0; NaN where there is none. */
function relative(g: GradFlow, k: number): number {
  const base = g.h[0];
  return k < g.h.length && base > 0 ? g.h[k] / base : NaN;
}

function norm(v: number): string {
  return v >= 0.01 ? v.toPrecision(2) : v.toExponential(1);
}
