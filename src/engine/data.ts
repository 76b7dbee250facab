/**
 * Stateful truncated-BPTT batching: the token sequence is cut into B contiguous streams and
 * training walks all of them T steps at a time, so window k of stream b continues exactly where
 * window k-1 of stream b stopped and the hidden state can be carried across windows.
 */

export interface Window {
  /** Inputs, time-major: x[t * B + b]. */
  x: Int32Array;
  /** Targets (the next token), same layout. */
  y: Int32Array;
  /** True for the first window of an epoch: the carried state must be reset. */
  resetState: boolean;
}

export class StreamBatcher {
  /** Tokens per stream. */
  readonly streamLength: number;
  /** Windows in one pass over the streams. */
  readonly windowsPerEpoch: number;
  private k = 0;
  private epochCount = 0;

  constructor(private readonly ids: Int32Array, readonly batch: number, readonly steps: number) {
    if (batch < 1 || steps < 1) throw new Error('batch and steps must be positive');
    // The last target of each stream needs one token beyond it.
    this.streamLength = Math.floor((ids.length - 1) / batch);
    this.windowsPerEpoch = Math.floor(this.streamLength / steps);
    if (this.windowsPerEpoch < 1) {
      throw new Error(`${ids.length} tokens are too few for ${batch} streams of ${steps} steps`);
    }
  }

  get epoch(): number {
    return this.epochCount;
  }

  /** The next window; wraps to a new epoch (and asks for a state reset) at the end. */
  next(): Window {
    const { batch: B, steps: T, streamLength: n } = this;
    const resetState = this.k === 0;
    const x = new Int32Array(T * B);
    const y = new Int32Array(T * B);
    for (let b = 0; b < B; b++) {
      const start = b * n + this.k * T;
      for (let t = 0; t < T; t++) {
        x[t * B + b] = this.ids[start + t];
        y[t * B + b] = this.ids[start + t + 1];
      }
    }
    this.k += 1;
    if (this.k === this.windowsPerEpoch) {
      this.k = 0;
      this.epochCount += 1;
    }
    return { x, y, resetState };
  }
}

/**
 * Chooses batch and window sizes that fit `tokens`: keeps the requested ones when the text is
 * long enough, otherwise fewer streams first, then shorter windows.
 */
export function fitBatching(tokens: number, batch: number, steps: number): { batch: number; steps: number } {
  const fits = (b: number, t: number) => Math.floor((tokens - 1) / b) >= t;
  let b = batch;
  while (b > 1 && !fits(b, steps)) b = Math.max(1, Math.floor(b / 2));
  let t = steps;
  while (t > 1 && !fits(b, t)) t = Math.max(1, Math.floor(t / 2));
  return { batch: b, steps: t };
}

/** Splits ids into a training head and a validation tail of `fraction` of the tokens. */
export function splitTrainVal(ids: Int32Array, fraction: number): { train: Int32Array; val: Int32Array } {
  const nVal = heldOutCount(ids.length, fraction);
  return { train: ids.subarray(0, ids.length - nVal), val: ids.subarray(ids.length - nVal) };
}

/** How many of `n` tokens the validation tail holds: a tail too short to score is not held out. */
export function heldOutCount(n: number, fraction: number): number {
  const nVal = Math.floor(n * Math.min(Math.max(fraction, 0), 0.5));
  return nVal < 2 ? 0 : nVal;
}
