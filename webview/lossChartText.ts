/**
 * The loss chart in words: what the keyboard cursor's point says in the live region, and the
 * chart's data as a table (its text alternative).
 */
import type uPlot from 'uplot';
import { thin, type TableData } from './dataTable';
import { formatSeconds } from './format';
import type { AlignedLoss } from './lossSeries';
import { lossView, type LossViewOptions } from './lossTransform';

/** Longer runs are listed at an even stride, so that the table stays quick to build and to read. */
const MAX_ROWS = 1000;

function value(v: number | null | undefined): string {
  return v == null || !Number.isFinite(v) ? '–' : v.toFixed(3);
}

function where(x: number, time: boolean): string {
  return time ? `${formatSeconds(x)} of training` : `step ${x}`;
}

/**
 * Point `i` of the drawn data ([x, each other run's train and val…, train, smoothed, val]):
 * its step (or time) and the values there, this run's first, in the chart's units.
 */
export function lossDescription(shown: uPlot.AlignedData, i: number, view: LossViewOptions, overlays: readonly string[]): string {
  const n = shown.length;
  const at = (s: number) => shown[s][i];
  const named: [string, number | null | undefined][] = [
    ['train', at(n - 3)],
    ...(view.smoothing > 0 ? [['smoothed', at(n - 2)] as [string, number | null | undefined]] : []),
    ['validation', at(n - 1)],
    ...overlays.flatMap((label, k): [string, number | null | undefined][] => [[`${label} train`, at(1 + 2 * k)], [`${label} validation`, at(2 + 2 * k)]]),
  ];
  const parts = named.filter(([, v]) => v != null && Number.isFinite(v)).map(([label, v]) => `${label} ${value(v)}`);
  const x = shown[0][i] as number;
  return `${where(x, view.time)}: ${parts.length > 0 ? parts.join(', ') : 'no value'} ${view.bits ? 'bits' : 'nats'} (point ${i + 1} of ${shown[0].length})`;
}

/** This run's training (raw and smoothed) and validation loss at every step, in the chart's units. */
export function lossTable(aligned: AlignedLoss, view: LossViewOptions): TableData {
  const [x, train, smoothed, val] = lossView(aligned, view);
  const smooth = view.smoothing > 0;
  const all = x.map((step, i) => [String(step === undefined ? '' : view.time ? formatSeconds(step, 0.1) : step), value(train[i]), ...(smooth ? [value(smoothed[i])] : []), value(val[i])]);
  const { items, every } = thin(all, MAX_ROWS);
  const unit = view.bits ? 'bits' : 'nats';
  return {
    caption: `Loss of this run in ${unit} by ${view.time ? 'training time' : 'step'}`,
    head: [view.time ? 'time' : 'step', 'train', ...(smooth ? [`smoothed (${view.smoothing.toFixed(2)})`] : []), 'validation'],
    rows: items,
    note: every > 1 ? `Every ${every}th of ${all.length} points, and the last.` : undefined,
  };
}
