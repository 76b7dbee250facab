import type uPlot from 'uplot';
import type { GradFlow } from '../src/protocol/webviewProtocol';
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
 * After every draw the container's `data-lags` says how many lags are on screen.
 */
export class GradFlowChart extends ThemedPlot {
  private shown: Aligned = [[], [], []];
  private latest: GradFlow | null = null;
  private relative = true;

  /** Relative to lag 0 (the vanishing picture) or absolute norms; rebuilds the axis label. */
  setRelative(relative: boolean): void {
    this.relative = relative;
    this.container.dataset.relative = String(relative);
    this.shown = this.latest ? byLag(this.latest, relative) : [[], [], []];
    this.rebuild();
    if (!this.plot) this.container.dataset.lags = '0';
  }

  set(g: GradFlow | null): void {
    this.latest = g;
    this.shown = g ? byLag(g, this.relative) : [[], [], []];
    if (!this.update()) this.container.dataset.lags = '0';
  }

  protected data(): Aligned {
    return this.shown;
  }

  protected options(width: number, height: number): uPlot.Options {
    const t = this.theme;
    const axis = (label: string, size: number, values?: uPlot.Axis['values']): uPlot.Axis => ({
      label, size, labelSize: 16, labelGap: 0, stroke: t.axis, font: t.font, labelFont: t.font,
      grid: { stroke: t.grid, width: 1 }, ticks: { stroke: t.grid, width: 1 }, values,
    });
    const series = (label: string, stroke: string): uPlot.Series => ({ label, stroke, width: t.lineWidth, spanGaps: false, points: { show: false } });
    return {
      width,
      height,
      padding: [10, 14, 0, 0],
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, y: { distr: 3, log: 10 } },
      series: [{}, series('h', t.train), series('c', t.val)],
      axes: [axis('lag k (steps back)', 28), axis(this.relative ? 'relative norm' : 'gradient norm', 48, (_u, splits) => splits.map((v) => (v == null ? '' : v >= 0.01 ? String(+v.toPrecision(2)) : v.toExponential(0))))],
      hooks: { draw: [() => { this.container.dataset.lags = String(this.shown[0].length); }] },
    };
  }
}
