import type uPlot from 'uplot';
import type { ChartTheme } from './chartTheme';
import type { LossViewOptions } from './lossTransform';

/** The colour at 35% opacity, from the rgb()/rgba() string the theme resolves to. */
function faint(color: string): string {
  const m = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(color);
  return m ? `rgba(${m[1]}, ${m[2]}, ${m[3]}, 0.35)` : color;
}

/** uPlot options for the loss chart: x = optimizer step, y = cross-entropy in nats or bits. */
export function lossChartOptions(theme: ChartTheme, view: LossViewOptions, width: number, height: number, onDraw: () => void): uPlot.Options {
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
  return {
    width,
    height,
    scales: { x: { time: false }, y: view.logY ? { distr: 3, log: 10 } : {} },
    // Just enough room above and right for the outermost tick labels.
    padding: [10, 14, 0, 0],
    // The panel draws its own legend in HTML, where theme colours and fonts apply directly.
    legend: { show: false },
    // Live updates reset the scales on every frame, so a drag-zoom would be undone at once.
    cursor: { drag: { x: false, y: false } },
    series: [
      {},
      // With smoothing on, the raw training loss stays behind the average as a faint line.
      view.smoothing > 0 ? { ...lossSeries('train', faint(theme.train), 1), points: { show: false } } : lossSeries('train', theme.train, theme.lineWidth),
      { ...lossSeries('train (smoothed)', theme.train, theme.lineWidth), points: { show: false } },
      lossSeries('val', theme.val, theme.lineWidth),
    ],
    axes: [axis('step', 28), axis(view.bits ? 'loss (bits/token)' : 'loss (nats)', 40)],
    hooks: { draw: [onDraw] },
  };
}

/**
 * Validation is sparse, so each series bridges the steps it has no value at. uPlot marks the
 * points themselves while there is room for them, which makes a run's first few points visible.
 */
function lossSeries(label: string, stroke: string, width: number): uPlot.Series {
  return { label, stroke, width, spanGaps: true, points: { size: 5, width: 1, fill: stroke, stroke } };
}
