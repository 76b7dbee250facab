/** The gradient-flow chart: ‖∂L/∂h‖ (and ‖∂L/∂c‖) by lag on a log axis, with other runs overlaid. */
import * as l10n from '@vscode/l10n';
import type uPlot from 'uplot';
import type { GradFlow, RunOverlay } from '../src/protocol/webviewProtocol';
import { DataTableToggle, type TableData } from './dataTable';
import { KeyCursor } from './keyCursor';
import { ThemedPlot } from './themedPlot';

/** Norms below this (relative to lag 0) are off the log scale. */
const FLOOR = 1e-30;

type Aligned = [number[], (number | null)[], (number | null)[]];

/**
 * Lag k on x; each norm relative to its lag-0 value (or as it is) on a log y axis, null where it
 * cannot be drawn.
 */
export function byLag(g: GradFlow, relative = true): Aligned {
  const lags = g.h.map((_, k) => k);
  const scaled = (xs: number[]) => {
    const base = relative ? xs[0] : 1;
    return lags.map((k) => {
      const v = k < xs.length && base > 0 ? xs[k] / base : NaN;
      return Number.isFinite(v) && v >= FLOOR ? v : null;
    });
  };
  return [lags, scaled(g.h), g.c.length > 0 ? scaled(g.c) : lags.map(() => null)];
}

/**
 * Gradient flow through time: how much of the last step's loss reaches h (and c) k steps back.
 * After every draw the container's `data-lags` says how many lags are on screen. Other runs'
 * measurements are drawn under this run's, h solid and c dashed, each run in its own colour.
 */
export class GradFlowChart extends ThemedPlot {
  private shown: uPlot.AlignedData = [[], [], []];
  private latest: GradFlow | null = null;
  private relative = true;
  private overlays: readonly RunOverlay[] = [];
  private readonly keys: KeyCursor;
  private readonly table: DataTableToggle;

  constructor(container: HTMLElement) {
    super(container);
    this.keys = new KeyCursor(container, {
      size: () => ({ cols: this.latest ? this.shown[0].length : 0, rows: 1 }),
      describe: ({ col }) => this.describe(col),
      draw: (cell) => {
        const k = cell?.col ?? null;
        this.placeCursor(k, k === null ? null : this.shown[this.shown.length - 2][k] ?? this.shown[this.shown.length - 1][k] ?? null);
      },
    }, { roleDescription: l10n.t('chart'), hint: l10n.t('Keys: ← → lags, Home End first and last, PgUp PgDn jump'), empty: l10n.t('No gradient measurement yet.') });
    this.table = new DataTableToggle(container.closest('.chart-frame') ?? container, l10n.t('gradient flow'), () => this.tableData(), this.keys.hint);
  }

  /** Relative to lag 0 (the vanishing picture) or absolute norms; rebuilds the axis label. */
  setRelative(relative: boolean): void {
    this.relative = relative;
    this.container.dataset.relative = String(relative);
    this.reshape();
    this.rebuild();
    if (!this.plot) this.container.dataset.lags = '0';
    this.table.changed();
  }

  set(g: GradFlow | null): void {
    this.latest = g;
    this.reshape();
    if (!this.update()) this.container.dataset.lags = '0';
    this.table.changed();
  }

  /**
   * Draws other runs' latest measurements under this run's, with a legend of their labels under
   * the chart; runs without one are listed but draw nothing. An empty list removes them.
   */
  setOverlays(overlays: readonly RunOverlay[]): void {
    this.overlays = overlays;
    this.reshape();
    // A run without a measurement is listed (it is being compared) but draws nothing.
    this.showOverlayLegend(overlays.map((o) => (o.gradFlow ? o : { ...o, label: l10n.t('{0} (no measurement)', o.label) })));
    this.rebuild();
    if (!this.plot) this.container.dataset.lags = '0';
  }

  protected data(): uPlot.AlignedData {
    return this.shown;
  }

  /** [lags, overlays' h and c…, h, c] over the longest measurement, this run's or an overlay's. */
  private reshape(): void {
    const flows = [...this.overlays.map((o) => o.gradFlow), this.latest];
    const lagCount = Math.max(0, ...flows.map((g) => g?.h.length ?? 0));
    // Without a measurement of its own the chart stays empty (and says so), overlays or not.
    if (!this.latest) {
      this.shown = [[], ...flows.flatMap(() => [[], []])];
      return;
    }
    const lags = Array.from({ length: lagCount }, (_, k) => k);
    const pad = (ys: (number | null)[]) => lags.map((k) => ys[k] ?? null);
    this.shown = [lags, ...flows.flatMap((g) => {
      if (!g) return [pad([]), pad([])];
      const [, h, c] = byLag(g, this.relative);
      return [pad(h), pad(c)];
    })];
  }

  protected options(width: number, height: number): uPlot.Options {
    const t = this.theme;
    const axis = (label: string, size: number, values?: uPlot.Axis['values']): uPlot.Axis => ({
      label, size, labelSize: 16, labelGap: 0, stroke: t.axis, font: t.font, labelFont: t.font,
      grid: { stroke: t.grid, width: 1 }, ticks: { stroke: t.grid, width: 1 }, values,
    });
    const series = (label: string, stroke: string, dash?: number[]): uPlot.Series => ({ label, stroke, width: t.lineWidth, spanGaps: false, points: { show: false }, dash });
    const overlays = this.overlays.flatMap((o, i) => {
      const stroke = t.overlays[i % t.overlays.length];
      return [series(`${o.label} h`, stroke), series(`${o.label} c`, stroke, [6, 4])];
    });
    return {
      width,
      height,
      padding: [10, 14, 0, 0],
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, y: { distr: 3, log: 10 } },
      series: [{}, ...overlays, series('h', t.train), series('c', t.val)],
      axes: [axis(l10n.t('lag k (steps back)'), 28), axis(this.relative ? l10n.t('relative norm') : l10n.t('gradient norm'), 48, (_u, splits) => splits.map((v) => (v == null ? '' : v >= 0.01 ? String(+v.toPrecision(2)) : v.toExponential(0))))],
      hooks: { draw: [() => { this.container.dataset.lags = String(this.latest?.h.length ?? 0); this.keys.refresh(); }] },
    };
  }

  /** Lag `k`: this run's norms of h and c there, then other runs'. */
  private describe(k: number): string {
    const n = this.shown.length;
    const at = (s: number) => this.shown[s][k];
    const named: [string, number | null | undefined][] = [['h', at(n - 2)], ['c', at(n - 1)],
      ...this.overlays.flatMap((o, i): [string, number | null | undefined][] => [[`${o.label} h`, at(1 + 2 * i)], [`${o.label} c`, at(2 + 2 * i)]])];
    const parts = named.filter(([, v]) => v != null).map(([label, v]) => `${label} ${norm(v!)}`);
    const values = parts.join(', ') || l10n.t('no value');
    return this.relative ? l10n.t('lag {0}: {1} (relative to lag 0)', this.shown[0][k], values) : l10n.t('lag {0}: {1}', this.shown[0][k], values);
  }

  private tableData(): TableData | null {
    const g = this.latest;
    if (!g) return null;
    const [lags, h, c] = byLag(g, this.relative);
    return {
      caption: this.relative ? l10n.t('Gradient norm by lag at step {0}, relative to lag 0', g.step) : l10n.t('Gradient norm by lag at step {0}', g.step),
      head: [l10n.t('lag'), l10n.t('hidden h'), l10n.t('cell c')],
      rows: lags.map((k) => [String(k), h[k] === null ? '–' : norm(h[k]), c[k] === null ? '–' : norm(c[k])]),
    };
  }
}

function norm(v: number): string {
  return v >= 0.01 ? v.toPrecision(3) : v.toExponential(2);
}
