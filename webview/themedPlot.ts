/**
 * The lifecycle every uPlot chart in the panel shares: sized to its container (and resized with
 * it), coloured from the theme, and rebuilt when the theme or its options change. Subclasses say
 * what to draw (`data`) and how (`options`).
 */
import uPlot from 'uplot';
import { readChartTheme, sameTheme } from './chartTheme';
import type { ChartTheme } from './chartTheme';
import { frameTask } from './frame';

// Below this the container is hidden or collapsed; the chart waits for a real size.
const MIN_SIZE = 40;

export abstract class ThemedPlot {
  protected plot: uPlot | undefined;
  protected theme: ChartTheme;
  private readonly resizeObserver: ResizeObserver;

  constructor(protected readonly container: HTMLElement) {
    this.theme = readChartTheme(container);
    this.resizeObserver = new ResizeObserver(frameTask(() => this.fit()));
    this.resizeObserver.observe(container);
  }

  protected abstract data(): uPlot.AlignedData;
  protected abstract options(width: number, height: number): uPlot.Options;

  /** Redraws with new data, or builds the chart if it has none yet. Returns whether it is drawn. */
  protected update(): boolean {
    if (this.plot) this.plot.setData(this.data());
    else this.fit();
    return this.plot !== undefined;
  }

  /** Builds the chart afresh (axes, scales or series changed). */
  protected rebuild(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.fit();
  }

  /** Re-reads the theme colours; rebuilds the chart only if they changed. */
  refreshTheme(): void {
    const next = readChartTheme(this.container);
    if (sameTheme(next, this.theme)) return;
    this.theme = next;
    this.rebuild();
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
    if (!this.plot) this.plot = new uPlot(this.options(width, height), this.data(), this.container);
    else if (width !== this.plot.width || height !== this.plot.height) this.plot.setSize({ width, height });
  }
}
