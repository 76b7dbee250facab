/**
 * Gradient flow over training: one column per measurement (training goes left to right), one row
 * per lag (lag 0 at the top), coloured by the norm relative to lag 0 on a log scale. Drawn as an
 * ImageData of columns × lags, scaled up without smoothing.
 */
import type { GradFlow } from '../src/protocol/webviewProtocol';
import { gradShade, sequentialColor } from './colormap';
import { frameTask } from './frame';
import { paintCells } from './pixels';

export class GradHeatmap {
  private readonly canvas: HTMLCanvasElement;
  private history: readonly GradFlow[] = [];

  constructor(private readonly container: HTMLElement, private readonly caption: HTMLElement) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'heatmap-canvas';
    container.appendChild(this.canvas);
    new ResizeObserver(frameTask(() => this.set(this.history))).observe(container);
  }

  set(history: readonly GradFlow[]): void {
    this.history = history;
    const columns = history.length;
    const lags = columns > 0 ? Math.max(...history.map((g) => g.h.length)) : 0;
    this.container.dataset.columns = String(columns);
    this.container.dataset.lags = String(lags);
    this.caption.textContent = columns > 0
      ? `steps ${history[0].step}–${history[columns - 1].step} · ${columns} measurements${history.some((g) => g.clipped) ? ' · red ticks: clipped' : ''}`
      : '';
    if (columns === 0 || lags === 0) {
      this.canvas.width = 0;
      return;
    }
    // One extra row on top marks the measurements whose gradient was clipped.
    const image = new ImageData(columns, lags + 1);
    const px = image.data;
    history.forEach((g, x) => {
      const base = g.h[0];
      for (let k = 0; k < lags; k++) {
        const rel = k < g.h.length && base > 0 ? g.h[k] / base : NaN;
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
  }
}
