/** Number formatting for the header and the status line; the units in the display language. */
import * as l10n from '@vscode/l10n';

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumSignificantDigits: 3 });

/** Loss in nats with its bits-per-character equivalent (1 nat = 1/ln 2 bits). */
export function formatLoss(nats: number): string {
  return l10n.t('{0} nats ({1} bits/char)', nats.toFixed(3), (nats / Math.LN2).toFixed(3));
}

export function formatInteger(n: number): string {
  return integer.format(n);
}

/** Token counts reach millions; three significant figures are plenty in a header. */
export function formatCount(n: number): string {
  return n < 10_000 ? integer.format(n) : compact.format(n);
}

/** Learning rates read best as written in configs: 0.002, 1e-4. */
export function formatLearningRate(lr: number): string {
  return lr !== 0 && Math.abs(lr) < 1e-3 ? lr.toExponential() : String(lr);
}

/** The last path segment, for either separator. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/**
 * A time axis tick: m:ss (h:mm:ss from an hour on), or seconds with decimals ("2.5 s") when the
 * ticks are less than a second apart.
 */
export function formatSeconds(seconds: number, tickStep = 1): string {
  if (tickStep < 1) {
    const decimals = Math.min(3, Math.max(1, Math.ceil(-Math.log10(tickStep) - 1e-9)));
    return l10n.t('{0} s', seconds.toFixed(decimals));
  }
  const whole = Math.round(seconds);
  const s = String(whole % 60).padStart(2, '0');
  const minutes = Math.floor(whole / 60);
  return minutes < 60 ? `${minutes}:${s}` : `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:${s}`;
}
