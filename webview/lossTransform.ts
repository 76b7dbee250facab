/** How the loss chart shows the series: units, y scale, smoothing. */
import type { AlignedLoss } from './lossSeries';

export interface LossViewOptions {
  /** Bits per token instead of nats. */
  bits: boolean;
  /** Logarithmic y axis. */
  logY: boolean;
  /** Exponential moving average weight for the training loss, 0 (off) … 0.99. */
  smoothing: number;
  /** x = seconds of training instead of steps; points without a time are left out. */
  time: boolean;
}

export const DEFAULT_LOSS_VIEW: LossViewOptions = { bits: false, logY: false, smoothing: 0.6, time: false };

/** [steps, train (raw), train (smoothed, null when smoothing is off), val], in the chosen units. */
export type LossView = [steps: number[], train: (number | null)[], smoothed: (number | null)[], val: (number | null)[]];

/**
 * Converts units and smooths the training loss with a debiased exponential moving average (the
 * early values are not dragged towards zero by the average's empty start).
 */
export function lossView([steps, train, val]: AlignedLoss, o: Omit<LossViewOptions, 'time'>): LossView {
  const scale = o.bits ? 1 / Math.LN2 : 1;
  const unit = (x: number | null) => (x === null ? null : x * scale);
  const w = Math.min(Math.max(o.smoothing, 0), 0.99);
  let avg = 0;
  let weight = 0;
  const smoothed = train.map((x) => {
    if (w === 0 || x === null) return null;
    avg = w * avg + (1 - w) * x * scale;
    weight = w * weight + (1 - w);
    return avg / weight;
  });
  return [steps, train.map(unit), smoothed, val.map(unit)];
}

/** Reads saved options loosely; anything odd falls back to the default. */
export function parseLossView(value: unknown): LossViewOptions {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const smoothing = typeof v.smoothing === 'number' && v.smoothing >= 0 && v.smoothing <= 0.99 ? v.smoothing : DEFAULT_LOSS_VIEW.smoothing;
  return { bits: v.bits === true, logY: v.logY === true, smoothing, time: v.time === true };
}
