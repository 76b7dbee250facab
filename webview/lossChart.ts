import uPlot from 'uplot';
import type { LossPoint } from '../src/protocol/webviewProtocol';
import { readChartTheme, sameTheme } from './chartTheme';
import type { ChartTheme } from './chartTheme';
import { frameTask } from './frame';
import { alignLoss } from './lossSeries';
import type { AlignedLoss } from './lossSeries';
import { lossChartOptions } from './lossChartOptions';
import { DEFAULT_LOSS_VIEW, lossView } from './lossTransform';
import type { LossView, LossViewOptions } from './lossTransform';

// Below this the container is hidden or collapsed; the chart waits for a real size.
const MIN_SIZE = 40;

/**
 * The train/val loss chart inside `container`. After every draw the container's
 * `data-train-points` / `data-val-points` say how many points are on screen.
 */
export class LossChart {
  private plot: uPlot | undefined;
  private aligned: AlignedLoss = [[], [], []];
  private data: LossView = [[], [], [], []];
  private view: LossViewOptions = DEFAULT_LOSS_VIEW;
  private counts = { train: 0, val: 0 };
  private theme: ChartTheme;
  private readonly resizeObserver: ResizeObserver;

  constructor(private readonly container: HTMLElement) {
    this.theme = readChartTheme(container);
    const fitNextFrame = frameTask(() => this.fit());
    this.resizeObserver = new ResizeObserver(fitNextFrame);
    this.resizeObserver.observe(container);
  }

  /** Replaces the drawn series. Costs O(points), so callers batch updates per frame. */
  setSeries(train: readonly LossPoint[], val: readonly LossPoint[]): void {
    this.aligned = alignLoss(train, val);
    this.data = lossView(this.aligned, this.view);
    this.counts = { train: train.length, val: val.length };
    if (this.plot) this.plot.setData(this.data);
    else this.fit();
    // A chart that cannot be drawn yet (no size) shows nothing, and says so.
    if (!this.plot) this.markDrawn(0, 0);
  }

  /** Changes units, y scale or smoothing; the chart is rebuilt (its axis and series change). */
  setView(view: LossViewOptions): void {
    this.view = view;
    this.data = lossView(this.aligned, view);
    this.container.dataset.units = view.bits ? 'bits' : 'nats';
    this.container.dataset.logY = String(view.logY);
    this.container.dataset.smoothing = String(view.smoothing);
    this.plot?.destroy();
    this.plot = undefined;
    // The counts come back when the new chart has drawn.
    this.markDrawn(0, 0);
    this.fit();
  }

  /** Re-reads the theme colours; rebuilds the chart only if they changed. */
  refreshTheme(): void {
    const next = readChartTheme(this.container);
    if (sameTheme(next, this.theme)) return;
    this.theme = next;
    this.plot?.destroy();
    this.plot = undefined;
    this.fit();
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private fit(): void {
    const width = Math.floor(this.container.clientWidth);
    const height = Math.floor(this.container.clientHeight);
    if (width < MIN_SIZE || height < MIN_SIZE) return;
    if (!this.plot) {
      const options = lossChartOptions(this.theme, this.view, width, height, () => this.markDrawn(this.counts.train, this.counts.val));
      this.plot = new uPlot(options, this.data, this.container);
    } else if (width !== this.plot.width || height !== this.plot.height) {
      this.plot.setSize({ width, height });
    }
  }

  private markDrawn(train: number, val: number): void {
    this.container.dataset.trainPoints = String(train);
    this.container.dataset.valPoints = String(val);
  }
}
