/**
 * The sequence-to-sequence card's run list: every kept run, newest first, with its last held-out
 * exact match; ticks choose the runs drawn beside the shown one, Show makes a run the card's (its
 * model then decodes hovers on its file), Delete asks the host to remove it.
 */
import * as l10n from '@vscode/l10n';
import { MAX_SEQ2SEQ_COMPARED, type Seq2SeqRunRow } from '../src/protocol/seq2seqPanel';

export interface Seq2SeqRunListActions {
  compare(runIds: string[]): void;
  show(runId: string): void;
  remove(runId: string): void;
}

export class Seq2SeqRunList {
  constructor(private readonly body: HTMLElement, private readonly actions: Seq2SeqRunListActions) {}

  set(runs: readonly Seq2SeqRunRow[], training: boolean): void {
    this.body.dataset.runs = String(runs.length);
    const ticked = runs.filter((r) => r.compared).length;
    this.body.replaceChildren(...runs.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.runId = r.runId;
      if (r.shown) tr.classList.add('shown');
      const tick = document.createElement('input');
      tick.type = 'checkbox';
      tick.checked = r.compared;
      // The shown run is the one the others are drawn beside; a run never evaluated has no curve.
      tick.disabled = r.shown || r.exactMatch === null || (!r.compared && ticked >= MAX_SEQ2SEQ_COMPARED);
      tick.setAttribute('aria-label', l10n.t('Draw {0} beside the shown run', r.label));
      tick.addEventListener('change', () => {
        const ids = [...this.body.querySelectorAll<HTMLInputElement>('input[type=checkbox]')].filter((c) => c.checked)
          .map((c) => c.closest('tr')!.dataset.runId!).slice(0, MAX_SEQ2SEQ_COMPARED);
        this.actions.compare(ids);
      });
      const name = document.createElement('td');
      name.textContent = r.label;
      const file = document.createElement('span');
      file.className = 'muted';
      file.textContent = ` · ${r.fileName}${r.shown ? ` · ${l10n.t('shown')}` : ''}`;
      name.append(file);
      const result = r.exactMatch === null ? '–' : l10n.t('{0}% after {1} s', (100 * r.exactMatch).toFixed(1), (r.seconds ?? 0).toFixed(0));
      const actions = document.createElement('div');
      actions.className = 'run-actions';
      const show = button(l10n.t('Show'), l10n.t('Show {0} in the card; its model decodes hovers on its file', r.label), r.shown || training || !r.hasModel && r.exactMatch === null);
      show.classList.add('s2s-run-show');
      show.addEventListener('click', () => { if (!show.hasAttribute('disabled')) this.actions.show(r.runId); });
      const remove = button(l10n.t('Delete'), l10n.t('Delete {0} and its model', r.label), r.shown && training);
      remove.classList.add('s2s-run-delete');
      remove.addEventListener('click', () => { if (!remove.hasAttribute('disabled')) this.actions.remove(r.runId); });
      actions.append(show, remove);
      // The labels head the numbers when the panel is too narrow for the table's header row.
      tr.append(cell(tick), name, cell(statusText(r.status)), cell(r.step.toLocaleString('en'), l10n.t('Steps')), cell(result, l10n.t('Exact match')), cell(actions));
      tr.lastElementChild!.classList.add('run-actions-cell');
      return tr;
    }));
  }
}

function cell(content: string | HTMLElement, label?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.append(content);
  if (label) td.dataset.label = label;
  return td;
}

function button(text: string, label: string, disabled: boolean): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = text;
  b.setAttribute('secondary', '');
  b.setAttribute('aria-label', label);
  b.title = label;
  b.toggleAttribute('disabled', disabled);
  return b;
}

/** A run's status as the card says it. */
export function statusText(status: string): string {
  switch (status) {
    case 'completed': return l10n.t('completed');
    case 'stopped': return l10n.t('stopped');
    case 'failed': return l10n.t('failed');
    case 'starting': return l10n.t('starting');
    default: return l10n.t('running');
  }
}
