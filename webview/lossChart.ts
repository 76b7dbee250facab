import type uPlot from 'uplot';
import type { LossPoint } from '../src/protocol/webviewProtocol';
import { alignLoss } from './lossSeries';
import type { AlignedLoss } from './lossSeries';
import { lossChartOptions } from './lossChartOptions';
import { DEFAULT_LOSS_VIEW, lossView } from './lossTransform';
import type { LossView, LossViewOptions } from './lossTransform';
import { ThemedPlot } from './themedPlot';

/**
 * The train/val loss chart inside `container`. After every draw the container's
 * `data-train-points` / `data-val-points` say how many points are on screen.
 */
export class LossChart extends ThemedPlot {
  private aligned: AlignedLoss = [[], [], []];
  private view: LossViewOptions = DEFAULT_LOSS_VIEW;
  private shown: LossView = [[], [], [], []];
  private counts = { train: 0, val: 0 };

  /** Replaces the drawn series. Costs O(points), so callers batch updates per frame. */
  setSeries(train: readonly LossPoint[], val: readonly LossPoint[]): void {
    this.aligned = alignLoss(train, val);
    this.shown = lossView(this.aligned, this.view);
    this.counts = { train: train.length, val: val.length };
    // A chart that cannot be drawn yet (no size) shows nothing, and says so.
    if (!this.update()) this.markDrawn(0, 0);
  }

  /** Changes units, y scale or smoothing; the chart is rebuilt (its axis and series change). */
  setView(view: LossViewOptions): void {
    this.view = view;
    this.shown = lossView(this.aligned, view);
    this.container.dataset.units = view.bits ? 'bits' : 'nats';
    this.container.dataset.logY = String(view.logY);
    this.container.dataset.smoothing = String(view.smoothing);
    // The counts come back when the new chart has drawn.
    this.markDrawn(0, 0);
    this.rebuild();
  }

  protected data(): LossView {
    return this.shown;
  }

  protected options(width: number, height: number): uPlot.Options {
    return lossChartOptions(this.theme, this.view, width, height, () => this.markDrawn(this.counts.train, this.counts.val));
  }

  private markDrawn(train: number, val: number): void {
    this.container.dataset.trainPoints = String(train);
    this.container.dataset.valPoints = String(val);
  }
}
