import type { LossPoint } from '../src/protocol/webviewProtocol';

/** uPlot's aligned layout: one shared x array, one y array per series, null where a series has no point. */
export type AlignedLoss = [steps: number[], train: (number | null)[], val: (number | null)[]];

/**
 * Merges two series, each sorted by strictly increasing step, onto one step axis.
 * Validation runs less often than training steps, so most val entries are null; the chart
 * bridges those gaps (`spanGaps`) to draw val as a line.
 */
export function alignLoss(train: readonly LossPoint[], val: readonly LossPoint[]): AlignedLoss {
  const steps: number[] = [];
  const t: (number | null)[] = [];
  const v: (number | null)[] = [];
  let i = 0;
  let j = 0;
  while (i < train.length || j < val.length) {
    const a = train[i];
    const b = val[j];
    if (a !== undefined && (b === undefined || a.step < b.step)) {
      steps.push(a.step); t.push(a.loss); v.push(null); i++;
    } else if (b !== undefined && (a === undefined || b.step < a.step)) {
      steps.push(b.step); t.push(null); v.push(b.loss); j++;
    } else if (a !== undefined && b !== undefined) {
      steps.push(a.step); t.push(a.loss); v.push(b.loss); i++; j++;
    }
  }
  return [steps, t, v];
}
