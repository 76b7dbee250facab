/**
 * The loss chart: training and validation loss over steps or seconds, zoom and pan, other runs
 * overlaid; a keyboard cursor over its points and its data as a table.
 */
import * as l10n from '@vscode/l10n';
import type uPlot from 'uplot';
import type { LossPoint, RunOverlay } from '../src/protocol/webviewProtocol';
import { DataTableToggle } from './dataTable';
import { formatSeconds } from './format';
import { KeyCursor } from './keyCursor';
import { lossDescription, lossTable } from './lossChartText';
import { alignLoss, bySeconds, mergeOnSteps } from './lossSeries';
import type { AlignedLoss, StepTable } from './lossSeries';
import { lossChartOptions } from './lossChartOptions';
import type { XZoom } from './lossChartOptions';
import { DEFAULT_LOSS_VIEW, lossView } from './lossTransform';
import type { LossViewOptions } from './lossTransform';
import { ThemedPlot } from './themedPlot';

/** One mouse-wheel notch zooms x by this factor around the pointer. */
const WHEEL_ZOOM = 1.25;
/** Drags narrower than this (CSS px) are clicks, not a range. */
const MIN_DRAG = 3;

type Range = [min: number, max: number];

/**
 * The train/val loss chart inside `container`, with other runs drawn under it. After every draw
 * the container's `data-train-points` / `data-val-points` say how many points are on screen.
 *
 * Dragging across the plot zooms x to that range, the mouse wheel zooms x around the pointer,
 * and a double-click returns to the whole run. While zoomed, new points keep the user's range;
 * the container says `data-zoomed` and the x range shown in `data-x-min` / `data-x-max`.
 * From the keyboard, + and − halve and double the range around the cursor's point, 0 resets it.
 *
 * x is the step, or with the view's `time` the seconds of training (`data-x-unit` says which);
 * in time the points without seconds are left out of the drawing and of the counts.
 */
export class LossChart extends ThemedPlot {
  private train: readonly LossPoint[] = [];
  private val: readonly LossPoint[] = [];
  private aligned: AlignedLoss = [[], [], []];
  private view: LossViewOptions = DEFAULT_LOSS_VIEW;
  private shown: uPlot.AlignedData = [[], [], [], []];
  private counts = { train: 0, val: 0 };
  private overlays: readonly RunOverlay[] = [];
  /** Each overlay as [training line, validation] over its own steps, in the current view. */
  private overlayTables: StepTable[] = [];
  /** The x range the user zoomed to, or null while the chart follows the data. */
  private xRange: Range | null = null;
  private readonly zoom: XZoom = {
    following: () => this.xRange === null,
    selected: (u) => this.selected(u),
    reset: () => this.resetZoom(),
  };

  private readonly keys: KeyCursor;
  private readonly table: DataTableToggle;

  constructor(container: HTMLElement) {
    super(container);
    this.markZoom();
    this.container.dataset.xUnit = 'steps';
    // The keyboard's cursor walks the points from the latest back; + and − zoom around it.
    this.keys = new KeyCursor(container, {
      size: () => ({ cols: this.shown[0].length, rows: 1 }),
      start: (cols) => ({ col: cols - 1, row: 0 }),
      describe: ({ col }) => lossDescription(this.shown, col, this.view, this.overlays.map((o) => o.label)),
      draw: (cell) => this.drawCursor(cell?.col ?? null),
      act: (action, { col }) => (action === 'zoomIn' || action === 'zoomOut' || action === 'zoomReset' ? this.zoomKey(action, col) : undefined),
    }, { roleDescription: l10n.t('chart'), hint: l10n.t('Keys: ← → points, Home End first and last, PgUp PgDn jump, + − zoom, 0 whole run'), empty: l10n.t('No loss values yet.') });
    this.table = new DataTableToggle(container.closest('.chart-frame') ?? container, l10n.t('loss'),
      () => lossTable(this.aligned, this.view), this.keys.hint);
  }

  /** Replaces the drawn series. Costs O(points), so callers batch updates per frame. */
  setSeries(train: readonly LossPoint[], val: readonly LossPoint[]): void {
    this.train = train;
    this.val = val;
    this.align();
    this.reshape();
    // A range wholly outside the new data (another run's snapshot) would show nothing.
    const [min, max] = this.extent();
    if (this.xRange && (this.shown[0].length === 0 || this.xRange[0] > max || this.xRange[1] < min)) this.resetZoom();
    // A chart that cannot be drawn yet (no size) shows nothing, and says so.
    if (!this.update()) this.markDrawn(0, 0);
    this.table.changed();
  }

  /**
   * Draws other runs under this one, each in its own colour: its training loss as a line (in the
   * same units and smoothing as this run) and its validation loss dashed, with a legend of their
   * labels under the chart. An empty list removes them.
   */
  setOverlays(overlays: readonly RunOverlay[]): void {
    this.overlays = overlays;
    this.overlayTables = overlays.map((o) => this.overlayTable(o));
    this.reshape();
    this.showOverlayLegend(overlays);
    this.markDrawn(0, 0);
    this.rebuild();
  }

  /** Changes units, y scale or smoothing; the chart is rebuilt (its axis and series change). */
  setView(view: LossViewOptions): void {
    const xChanged = view.time !== this.view.time;
    this.view = view;
    if (xChanged) {
      // A range of steps means nothing in seconds, and the other way round.
      this.xRange = null;
      this.markZoom();
      this.align();
    }
    this.overlayTables = this.overlays.map((o) => this.overlayTable(o));
    this.reshape();
    this.container.dataset.units = view.bits ? 'bits' : 'nats';
    this.container.dataset.logY = String(view.logY);
    this.container.dataset.smoothing = String(view.smoothing);
    this.container.dataset.xUnit = view.time ? 'seconds' : 'steps';
    const unit = view.bits ? l10n.t('bits') : l10n.t('nats');
    this.container.setAttribute('aria-label', view.time ? l10n.t('Training and validation loss in {0} by training time', unit) : l10n.t('Training and validation loss in {0} by step', unit));
    // The counts come back when the new chart has drawn.
    this.markDrawn(0, 0);
    this.rebuild();
    this.table.changed();
  }

  /** Shows the whole run again and follows new points. */
  resetZoom(): void {
    this.xRange = null;
    this.markZoom();
    // uPlot refits x itself on a double-click; anything else refits here.
    if (this.plot && this.shown[0].length > 0) {
      const [min, max] = this.extent();
      this.plot.setScale('x', { min, max });
    }
  }

  /** Shows x (steps or seconds) `min` … `max` (clamped to the data) and keeps them while new points arrive. */
  zoomTo(min: number, max: number): void {
    const [lo, hi] = this.extent();
    const a = Math.max(lo, Math.min(min, max));
    const b = Math.min(hi, Math.max(min, max));
    if (!(b > a)) return;
    if (a <= lo && b >= hi) {
      this.resetZoom();
      return;
    }
    this.xRange = [a, b];
    this.markZoom();
    this.plot?.setScale('x', { min: a, max: b });
  }

  protected data(): uPlot.AlignedData {
    return this.shown;
  }

  protected options(width: number, height: number): uPlot.Options {
    return lossChartOptions(this.theme, this.view, width, height, () => this.drawn(), this.overlays.map((o) => o.label), this.zoom);
  }

  protected override built(plot: uPlot): void {
    if (this.xRange) plot.setScale('x', { min: this.xRange[0], max: this.xRange[1] });
    plot.over.addEventListener('wheel', (e) => this.wheel(plot, e), { passive: false });
  }

  /** [steps, overlays' lines…, raw, smoothed, val] in the current view. */
  private reshape(): void {
    const main = lossView(this.aligned, this.view);
    if (this.overlayTables.length === 0) {
      this.shown = main;
      return;
    }
    const [steps, ...columns] = main;
    const [x, ...merged] = mergeOnSteps([{ steps, columns }, ...this.overlayTables]);
    // The merge puts this run first; the chart draws it last, on top.
    this.shown = [x, ...merged.slice(3), ...merged.slice(0, 3)];
  }

  /** This run's points on the current x, and how many of them are drawn. */
  private align(): void {
    const train = this.onX(this.train);
    const val = this.onX(this.val);
    this.aligned = alignLoss(train, val);
    this.counts = { train: train.length, val: val.length };
  }

  /** The points with `step` as x, or (in time) with their seconds in its place. */
  private onX(points: readonly LossPoint[]): readonly LossPoint[] {
    return this.view.time ? bySeconds(points) : points;
  }

  private overlayTable(o: RunOverlay): StepTable {
    const [steps, raw, smoothed, val] = lossView(alignLoss(this.onX(o.train), this.onX(o.val)), this.view);
    return { steps, columns: [this.view.smoothing > 0 ? smoothed : raw, val] };
  }

  /** The first and last x drawn, this run's and the overlays'. */
  private extent(): Range {
    const x = this.shown[0] as number[];
    return x.length > 0 ? [x[0], x[x.length - 1]] : [0, 0];
  }

  private selected(u: uPlot): void {
    const { left, width } = u.select;
    // Clear the drawn selection without firing this hook again.
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    if (width < MIN_DRAG) return;
    this.zoomTo(u.posToVal(left, 'x'), u.posToVal(left + width, 'x'));
  }

  private wheel(u: uPlot, e: WheelEvent): void {
    // Zooming out of the whole run is left to the panel, which scrolls.
    if (e.deltaY === 0 || this.shown[0].length < 2 || (e.deltaY > 0 && !this.xRange)) return;
    e.preventDefault();
    const min = u.scales.x.min ?? 0;
    const max = u.scales.x.max ?? 0;
    const at = u.posToVal(e.clientX - u.over.getBoundingClientRect().left, 'x');
    const factor = e.deltaY < 0 ? 1 / WHEEL_ZOOM : WHEEL_ZOOM;
    // The step under the pointer stays under the pointer.
    this.zoomTo(at - (at - min) * factor, at + (max - at) * factor);
  }

  private drawn(): void {
    this.markDrawn(this.counts.train, this.counts.val);
    const x = this.plot?.scales.x;
    if (x?.min != null && x.max != null) {
      this.container.dataset.xMin = String(+x.min.toFixed(3));
      this.container.dataset.xMax = String(+x.max.toFixed(3));
    }
    this.keys.refresh();
  }

  /** uPlot's cursor on point `i` (this run's line where it has one); a zoomed view pans to keep it in sight. */
  private drawCursor(i: number | null): void {
    const x = i === null ? undefined : (this.shown[0] as number[])[i];
    if (i === null || x === undefined) {
      this.placeCursor(null, null);
      return;
    }
    if (this.xRange && (x < this.xRange[0] || x > this.xRange[1])) {
      const half = (this.xRange[1] - this.xRange[0]) / 2;
      // The cursor is drawn again once the panned chart has drawn.
      this.zoomTo(x - half, x + half);
      return;
    }
    const n = this.shown.length;
    const y = [n - 3, n - 2, n - 1].map((s) => this.shown[s][i]).find((v) => v != null);
    this.placeCursor(x, y ?? null);
  }

  /** + halves the x range around point `i`, − doubles it, 0 shows the whole run; says what is shown. */
  private zoomKey(action: 'zoomIn' | 'zoomOut' | 'zoomReset', i: number): string {
    const x = (this.shown[0] as number[])[i];
    const min = this.plot?.scales.x.min ?? this.extent()[0];
    const max = this.plot?.scales.x.max ?? this.extent()[1];
    if (action === 'zoomReset') this.resetZoom();
    else {
      const factor = action === 'zoomIn' ? 0.5 : 2;
      this.zoomTo(x - (x - min) * factor, x + (max - x) * factor);
    }
    const [a, b] = this.xRange ?? this.extent();
    if (this.view.time) {
      return this.xRange ? l10n.t('Zoomed to {0} to {1} of training', formatSeconds(a), formatSeconds(b)) : l10n.t('Whole run: {0} to {1} of training', formatSeconds(a), formatSeconds(b));
    }
    return this.xRange ? l10n.t('Zoomed to steps {0} to {1}', Math.round(a), Math.round(b)) : l10n.t('Whole run: steps {0} to {1}', Math.round(a), Math.round(b));
  }

  private markZoom(): void {
    this.container.dataset.zoomed = String(this.xRange !== null);
  }

  private markDrawn(train: number, val: number): void {
    this.container.dataset.trainPoints = String(train);
    this.container.dataset.valPoints = String(val);
  }
}
