/**
 * The gate heatmap in words: what the keyboard cursor's cell says in the live region, and a
 * summary of every unit over the tokens as a table (the whole map can be thousands of cells).
 */
import * as l10n from '@vscode/l10n';
import type { TableData } from './dataTable';

/** The values shown: `data` is [tokens × units]. */
export interface GateValues {
  units: number;
  tokens: number;
  data: ArrayLike<number>;
}

/** One cell: its unit, its token (quoted, so that spaces and newlines can be told apart) and the value. */
export function gateCellText(v: GateValues, name: string, tokens: readonly string[], unit: number, token: number, pinned: boolean): string {
  const value = v.data[token * v.units + unit];
  const args = [unit, token + 1, v.tokens, JSON.stringify(tokens[token]), name, value.toFixed(3)] as const;
  return pinned ? l10n.t('unit {0} (pinned), token {1} of {2} {3}: {4} = {5}', ...args) : l10n.t('unit {0}, token {1} of {2} {3}: {4} = {5}', ...args);
}

/** Mean, lowest and highest value of each unit, in the rows' order, and its value at the cursor's token. */
export function gateTable(v: GateValues, name: string, tokens: readonly string[], rows: readonly number[], pinned: readonly number[], cursorToken: number | null): TableData {
  const at = cursorToken === null ? null : Math.min(cursorToken, v.tokens - 1);
  return {
    caption: l10n.t('{0} of each unit over {1} tokens', name, v.tokens),
    head: [l10n.t('unit'), l10n.t('mean'), l10n.t('lowest'), l10n.t('highest'), ...(at === null ? [] : [l10n.t('at token {0} {1}', at + 1, JSON.stringify(tokens[at]))])],
    rows: rows.map((u) => {
      let sum = 0, seen = 0, lo = Infinity, hi = -Infinity;
      for (let t = 0; t < v.tokens; t++) {
        const x = v.data[t * v.units + u];
        if (!Number.isFinite(x)) continue;
        sum += x; seen++;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      const f = (x: number) => (seen > 0 ? x.toFixed(3) : '–');
      return [pinned.includes(u) ? l10n.t('{0} (pinned)', u) : String(u), f(sum / seen), f(lo), f(hi), ...(at === null ? [] : [v.data[at * v.units + u].toFixed(3)])];
    }),
    note: at === null
      ? l10n.t('One row per unit, in the heatmap\'s order. The arrow keys on the heatmap read every cell.')
      : l10n.t('One row per unit, in the heatmap\'s order; the last column follows the keyboard cursor\'s token. The arrow keys on the heatmap read every cell.'),
  };
}
