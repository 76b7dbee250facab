/**
 * The text alternative of a chart: a "Show data as table" toggle under it that shows its data (or,
 * for a big heatmap, a summary) as an HTML table, beside the line that lists the chart's keys.
 */
import * as l10n from '@vscode/l10n';
import { trailingThrottle } from './frame';

export interface TableData {
  caption: string;
  /** Column headers; the first cell of each row is that row's header. */
  head: readonly string[];
  rows: readonly (readonly string[])[];
  /** Said under the table, e.g. what a summary leaves out. */
  note?: string;
}

/** While the table is open and the data keeps changing, it is rebuilt at most this often. */
const REFRESH_MS = 500;

let toggles = 0;

export class DataTableToggle {
  private readonly bar = document.createElement('div');
  private readonly button = document.createElement('vscode-button');
  private readonly region = document.createElement('div');
  private open = false;
  private readonly refreshSoon: () => void;

  /**
   * Puts the toggle (and `hint`, the chart's keys) after `anchor`, and the table after them.
   * `name` names the chart in the button's and the table's labels; `build` reads its data when shown.
   */
  constructor(anchor: Element, private readonly name: string, private readonly build: () => TableData | null, hint?: HTMLElement) {
    const id = `data-table-${++toggles}`;
    this.bar.className = 'chart-access';
    this.button.setAttribute('secondary', '');
    this.button.className = 'table-toggle';
    this.button.setAttribute('aria-controls', id);
    this.region.id = id;
    this.region.className = 'data-table';
    this.region.hidden = true;
    // A scrolling box must be reachable from the keyboard to be scrolled.
    this.region.tabIndex = 0;
    this.region.setAttribute('role', 'region');
    this.region.setAttribute('aria-label', l10n.t('{0}: data', name));
    this.bar.append(this.button);
    if (hint) this.bar.append(hint);
    anchor.after(this.bar, this.region);
    this.label();
    this.button.addEventListener('click', () => this.toggle());
    this.refreshSoon = trailingThrottle(() => { if (this.open) this.fill(); }, REFRESH_MS);
  }

  /** The chart's data changed: an open table follows (throttled). */
  changed(): void {
    if (this.open) this.refreshSoon();
  }

  toggle(): void {
    this.open = !this.open;
    this.region.hidden = !this.open;
    this.label();
    if (this.open) this.fill();
    else this.region.replaceChildren();
  }

  private label(): void {
    this.button.textContent = this.open ? l10n.t('Hide data table') : l10n.t('Show data as table');
    this.button.setAttribute('aria-label', this.open ? l10n.t('Hide data table: {0}', this.name) : l10n.t('Show data as table: {0}', this.name));
    this.button.setAttribute('aria-expanded', String(this.open));
  }

  private fill(): void {
    const data = this.build();
    if (!data || data.rows.length === 0) {
      const empty = document.createElement('p');
      empty.className = 'muted';
      empty.textContent = l10n.t('No data yet.');
      this.region.replaceChildren(empty);
      this.region.dataset.rows = '0';
      return;
    }
    const table = document.createElement('table');
    const caption = document.createElement('caption');
    caption.textContent = data.caption;
    const head = document.createElement('tr');
    head.append(...data.head.map((text) => cell('th', text, 'col')));
    const thead = document.createElement('thead');
    thead.append(head);
    const body = document.createElement('tbody');
    body.append(...data.rows.map(([first, ...rest]) => {
      const tr = document.createElement('tr');
      tr.append(cell('th', first, 'row'), ...rest.map((text) => cell('td', text)));
      return tr;
    }));
    table.append(caption, thead, body);
    this.region.replaceChildren(table);
    if (data.note) {
      const note = document.createElement('p');
      note.className = 'muted';
      note.textContent = data.note;
      this.region.append(note);
    }
    this.region.dataset.rows = String(data.rows.length);
  }
}

function cell(tag: 'th' | 'td', text: string, scope?: 'col' | 'row'): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = text;
  if (scope) el.setAttribute('scope', scope);
  return el;
}

/** At most `max` of `items`, evenly spaced and always with the last; and the stride taken. */
export function thin<T>(items: readonly T[], max: number): { items: T[]; every: number } {
  if (items.length <= max) return { items: [...items], every: 1 };
  const every = Math.ceil(items.length / max);
  const kept = items.filter((_, i) => i % every === 0);
  if ((items.length - 1) % every !== 0) kept.push(items[items.length - 1]);
  return { items: kept, every };
}
