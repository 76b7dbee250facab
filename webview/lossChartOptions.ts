/** The loss chart's uPlot options: axes (steps or time), series styles and colours from the theme. */
import * as l10n from '@vscode/l10n';
import type uPlot from 'uplot';
import type { ChartTheme } from './chartTheme';
import { formatSeconds } from './format';
import type { LossViewOptions } from './lossTransform';

/** Tick spacings of a time axis, in seconds: decimal below a second, then the clock's. */
const TIME_TICKS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** The colour at 35% opacity, from the rgb()/rgba() string the theme resolves to. */
function faint(color: string): string {
  const m = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(color);
  return m ? `rgba(${m[1]}, ${m[2]}, ${m[3]}, 0.35)` : color;
}

/** How the user's x range reaches the chart: dragging selects it, a double-click gives it up. */
export interface XZoom {
  /** True while the chart should fit x to its data, false while the user holds a range. */
  following: () => boolean;
  /** The user dragged across the plot; `u.select` holds the span in CSS px. */
  selected: (u: uPlot) => void;
  /** The user double-clicked the plot. */
  reset: () => void;
}

/**
 * uPlot options for the loss chart: x = optimizer step (or seconds of training with the view's
 * `time`, ticked like a clock), y = cross-entropy in nats or bits.
 * Series: x, then a training line and a dashed validation line per other run (`overlays` are
 * their labels), then this run's raw, smoothed and validation loss, drawn last so they are on top.
 */
export function lossChartOptions(theme: ChartTheme, view: LossViewOptions, width: number, height: number, onDraw: () => void,
  overlays: readonly string[] = [], zoom?: XZoom): uPlot.Options {
  // Sizes are in CSS px and fit the 11px axis font; uPlot's defaults leave wide empty margins.
  const axis = (label: string, size: number): uPlot.Axis => ({
    label,
    size,
    labelSize: 16,
    labelGap: 0,
    stroke: theme.axis,
    font: theme.font,
    labelFont: theme.font,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1 },
  });
  const overlaySeries = overlays.flatMap((label, i): uPlot.Series[] => {
    const stroke = theme.overlays[i % theme.overlays.length];
    const line = { stroke, spanGaps: true, points: { show: false } };
    return [
      { ...line, label: l10n.t('{0} train', label), width: theme.lineWidth },
      { ...line, label: l10n.t('{0} val', label), width: theme.lineWidth, dash: [6, 4] },
    ];
  });
  return {
    width,
    height,
    // While the user holds an x range, new data keeps it instead of fitting x to the data.
    scales: { x: { time: false, auto: () => zoom?.following() ?? true }, y: view.logY ? { distr: 3, log: 10 } : {} },
    // Just enough room above and right for the outermost tick labels.
    padding: [10, 14, 0, 0],
    // The panel draws its own legend in HTML, where theme colours and fonts apply directly.
    legend: { show: false },
    // Dragging selects an x range, which the chart then zooms to itself (it also keeps it).
    cursor: zoom
      ? {
          drag: { x: true, y: false, setScale: false },
          bind: { dblclick: (_u, _target, handler) => (e) => { zoom.reset(); return handler(e); } },
        }
      : { drag: { x: false, y: false } },
    series: [
      {},
      ...overlaySeries,
      // With smoothing on, the raw training loss stays behind the average as a faint line.
      view.smoothing > 0 ? { ...lossSeries(l10n.t('train'), faint(theme.train), 1), points: { show: false } } : lossSeries(l10n.t('train'), theme.train, theme.lineWidth),
      { ...lossSeries(l10n.t('train (smoothed)'), theme.train, theme.lineWidth), points: { show: false } },
      lossSeries(l10n.t('val'), theme.val, theme.lineWidth),
    ],
    axes: [
      view.time
        ? { ...axis(l10n.t('training time'), 28), incrs: TIME_TICKS, values: (_u, splits, _i, _space, incr) => splits.map((s) => formatSeconds(s, incr)) }
        : axis(l10n.t('step'), 28),
      axis(view.bits ? l10n.t('loss (bits/token)') : l10n.t('loss (nats)'), 40),
    ],
    hooks: { draw: [onDraw], setSelect: zoom ? [(u) => zoom.selected(u)] : [] },
  };
}

/**
 * Validation is sparse, so each series bridges the steps it has no value at. uPlot marks the
 * points themselves while there is room for them, which makes a run's first few points visible.
 */
function lossSeries(label: string, stroke: string, width: number): uPlot.Series {
  return { label, stroke, width, spanGaps: true, points: { size: 5, width: 1, fill: stroke, stroke } };
}
