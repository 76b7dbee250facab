/**
 * The lifecycle every uPlot chart in the panel shares: sized to its container (and resized with
 * it), coloured from the theme, and rebuilt when the theme or its options change. Subclasses say
 * what to draw (`data`) and how (`options`).
 */
import * as l10n from '@vscode/l10n';
import uPlot from 'uplot';
import { overlayColorVar, readChartTheme, sameTheme } from './chartTheme';
import type { ChartTheme } from './chartTheme';
import { frameTask } from './frame';

// Below this the container is hidden or collapsed; the chart waits for a real size.
const MIN_SIZE = 40;

/** One other run in an overlay legend. */
export interface OverlayLegendEntry {
  runId: string;
  label: string;
}

export abstract class ThemedPlot {
  protected plot: uPlot | undefined;
  protected theme: ChartTheme;
  private readonly resizeObserver: ResizeObserver;
  private overlayLegend: HTMLUListElement | undefined;

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

  /** Called after every build of the chart, before it is first seen. */
  protected built(_plot: uPlot): void {}

  /**
   * Lists other runs under the chart (after its `.chart-frame`), each with a swatch in the colour
   * its lines are drawn in, and counts them in the container's `data-overlays`.
   */
  protected showOverlayLegend(entries: readonly OverlayLegendEntry[]): void {
    this.container.dataset.overlays = String(entries.length);
    if (!this.overlayLegend) {
      this.overlayLegend = document.createElement('ul');
      this.overlayLegend.className = 'legend overlay-legend';
      this.overlayLegend.setAttribute('aria-label', l10n.t('Other runs'));
      (this.container.closest('.chart-frame') ?? this.container).after(this.overlayLegend);
    }
    this.overlayLegend.hidden = entries.length === 0;
    this.overlayLegend.replaceChildren(...entries.map((entry, i) => {
      const item = document.createElement('li');
      item.textContent = entry.label;
      item.title = entry.label;
      item.dataset.runId = entry.runId;
      item.dataset.color = this.theme.overlays[i % this.theme.overlays.length];
      // The CSSOM, unlike a style attribute, is allowed by the panel's CSP.
      item.style.setProperty('--swatch', overlayColorVar(i));
      return item;
    }));
  }

  /** Builds the chart afresh (axes, scales or series changed). */
  protected rebuild(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.fit();
  }

  /**
   * Puts uPlot's cursor (its crosshair and the series' points there) at `x`, `y` in data units,
   * as a hover would; null hides it.
   */
  protected placeCursor(x: number | null, y: number | null): void {
    const u = this.plot;
    if (!u) return;
    if (x === null) {
      u.setCursor({ left: -10, top: -10 });
      return;
    }
    const left = u.valToPos(x, 'x');
    const top = y === null || !Number.isFinite(y) ? u.over.clientHeight / 2 : u.valToPos(y, 'y');
    u.setCursor({ left, top });
  }

  /** Re-reads the theme colours; rebuilds the chart only if they changed. */
  refreshTheme(): void {
    const next = readChartTheme(this.container);
    if (sameTheme(next, this.theme)) return;
    this.theme = next;
    this.overlayLegend?.querySelectorAll('li').forEach((item, i) => { item.dataset.color = next.overlays[i % next.overlays.length]; });
    this.rebuild();
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.overlayLegend?.remove();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private fit(): void {
    const width = Math.floor(this.container.clientWidth);
    const height = Math.floor(this.container.clientHeight);
    if (width < MIN_SIZE || height < MIN_SIZE) return;
    if (!this.plot) {
      this.plot = new uPlot(this.options(width, height), this.data(), this.container);
      this.built(this.plot);
    } else if (width !== this.plot.width || height !== this.plot.height) this.plot.setSize({ width, height });
  }
}
