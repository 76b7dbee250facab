/**
 * The loss chart in words: what the keyboard cursor's point says in the live region, and the
 * chart's data as a table (its text alternative).
 */
import * as l10n from '@vscode/l10n';
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
  return time ? l10n.t('{0} of training', formatSeconds(x)) : l10n.t('step {0}', x);
}

/**
 * Point `i` of the drawn data ([x, each other run's train and val…, train, smoothed, val]):
 * its step (or time) and the values there, this run's first, in the chart's units.
 */
export function lossDescription(shown: uPlot.AlignedData, i: number, view: LossViewOptions, overlays: readonly string[]): string {
  const n = shown.length;
  const at = (s: number) => shown[s][i];
  const named: [string, number | null | undefined][] = [
    [l10n.t('train'), at(n - 3)],
    ...(view.smoothing > 0 ? [[l10n.t('smoothed'), at(n - 2)] as [string, number | null | undefined]] : []),
    [l10n.t('validation'), at(n - 1)],
    ...overlays.flatMap((label, k): [string, number | null | undefined][] => [[l10n.t('{0} train', label), at(1 + 2 * k)], [l10n.t('{0} validation', label), at(2 + 2 * k)]]),
  ];
  const parts = named.filter(([, v]) => v != null && Number.isFinite(v)).map(([label, v]) => `${label} ${value(v)}`);
  const x = shown[0][i] as number;
  return l10n.t('{0}: {1} {2} (point {3} of {4})', where(x, view.time), parts.length > 0 ? parts.join(', ') : l10n.t('no value'), view.bits ? l10n.t('bits') : l10n.t('nats'), i + 1, shown[0].length);
}

/** This run's training (raw and smoothed) and validation loss at every step, in the chart's units. */
export function lossTable(aligned: AlignedLoss, view: LossViewOptions): TableData {
  const [x, train, smoothed, val] = lossView(aligned, view);
  const smooth = view.smoothing > 0;
  const all = x.map((step, i) => [String(step === undefined ? '' : view.time ? formatSeconds(step, 0.1) : step), value(train[i]), ...(smooth ? [value(smoothed[i])] : []), value(val[i])]);
  const { items, every } = thin(all, MAX_ROWS);
  const unit = view.bits ? l10n.t('bits') : l10n.t('nats');
  return {
    caption: view.time ? l10n.t('Loss of this run in {0} by training time', unit) : l10n.t('Loss of this run in {0} by step', unit),
    head: [view.time ? l10n.t('time') : l10n.t('step'), l10n.t('train'), ...(smooth ? [l10n.t('smoothed ({0})', view.smoothing.toFixed(2))] : []), l10n.t('validation')],
    rows: items,
    note: every > 1 ? l10n.t('Every {0}th of {1} points, and the last.', every, all.length) : undefined,
  };
}
