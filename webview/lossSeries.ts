/** Loss series in uPlot's aligned layout: merging train and validation points onto one x axis. */
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

/** Columns over their own steps (sorted, strictly increasing), one value per step in each column. */
export interface StepTable {
  steps: readonly number[];
  columns: readonly (readonly (number | null)[])[];
}

/**
 * Puts several tables onto the union of their steps: [steps, ...every table's columns in order],
 * null where a table has no value at a step.
 */
export function mergeOnSteps(tables: readonly StepTable[]): [number[], ...(number | null)[][]] {
  const all: number[] = [];
  for (const t of tables) for (const s of t.steps) all.push(s);
  all.sort((a, b) => a - b);
  const steps: number[] = [];
  for (const s of all) if (steps.length === 0 || steps[steps.length - 1] !== s) steps.push(s);
  const out: (number | null)[][] = [];
  for (const t of tables) {
    const columns = t.columns.map(() => new Array<number | null>(steps.length).fill(null));
    let j = 0;
    for (let i = 0; i < steps.length && j < t.steps.length; i++) {
      if (steps[i] !== t.steps[j]) continue;
      for (let c = 0; c < columns.length; c++) columns[c][i] = t.columns[c][j];
      j++;
    }
    out.push(...columns);
  }
  return [steps, ...out];
}

/**
 * The points placed by time instead of step: `step` becomes `seconds`. Points without a time are
 * left out, and so is any that does not come strictly after the one before (the chart needs an
 * increasing x).
 */
export function bySeconds(points: readonly LossPoint[]): LossPoint[] {
  const out: LossPoint[] = [];
  let last = -Infinity;
  for (const p of points) {
    if (p.seconds === undefined || !(p.seconds > last)) continue;
    out.push({ step: p.seconds, loss: p.loss });
    last = p.seconds;
  }
  return out;
}
