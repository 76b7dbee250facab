/**
 * Two runs' settings side by side, the ones that differ marked (in words as well as colour): the
 * shown run and one ticked run, or two ticked runs.
 */
import * as l10n from '@vscode/l10n';
import { TRAIN_FIELDS, type TrainConfig } from '../src/protocol/runConfig';
import type { RunSummary } from '../src/protocol/webviewProtocol';
import { settingText } from './settingText';

/** The runs to compare: two ticked ones, or the shown one and the only ticked one; else none. */
export function runsToCompare(runs: readonly RunSummary[], selected: readonly string[], shownId: string | null): [RunSummary, RunSummary] | null {
  const byId = (id: string | null) => runs.find((r) => r.run.runId === id);
  const ticked = selected.map(byId).filter((r): r is RunSummary => r !== undefined);
  if (ticked.length === 2) return [ticked[0], ticked[1]];
  const shown = byId(shownId);
  if (ticked.length === 1 && shown && shown !== ticked[0]) return [shown, ticked[0]];
  return null;
}

/** The settings both runs name, and whether each differs. */
export function settingsDiff(a: Partial<TrainConfig>, b: Partial<TrainConfig>): { field: keyof TrainConfig; label: string; a: string; b: string; differs: boolean }[] {
  return TRAIN_FIELDS.filter((f) => a[f] !== undefined || b[f] !== undefined).map((f) => {
    const show = (v: unknown) => (v === undefined ? '–' : String(v));
    return { field: f, label: settingText(f).label, a: show(a[f]), b: show(b[f]), differs: a[f] !== b[f] };
  });
}

export function runTitle(s: RunSummary): string {
  return s.name ?? `${s.run.cell} ${s.run.layers}×${s.run.hiddenSize} · ${s.run.fileName}`;
}

/** Fills `host` with the table of the two runs' settings, or a hint when there is nothing to compare. */
export function renderSettingsDiff(host: HTMLElement, pair: [RunSummary, RunSummary] | null): void {
  host.replaceChildren();
  if (!pair) {
    host.hidden = true;
    host.dataset.differences = '';
    return;
  }
  host.hidden = false;
  const [a, b] = pair;
  const rows = settingsDiff(a.config, b.config);
  const differ = rows.filter((r) => r.differs);
  host.dataset.differences = differ.map((r) => r.field).join(',');
  const caption = document.createElement('p');
  caption.className = 'muted';
  caption.textContent = differ.length === 0 ? l10n.t('The two runs have the same settings.')
    : differ.length === 1 ? l10n.t('One setting differs (marked ≠).') : l10n.t('{0} settings differ (marked ≠).', differ.length);
  const table = document.createElement('table');
  table.className = 'runs-diff-table';
  const head = table.createTHead().insertRow();
  for (const text of [l10n.t('Setting'), runTitle(a), runTitle(b)]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    tr.dataset.field = r.field;
    if (r.differs) tr.classList.add('differs');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = r.differs ? `≠ ${r.label}` : r.label;
    tr.appendChild(th);
    for (const v of [r.a, r.b]) tr.insertCell().textContent = v;
  }
  host.append(caption, table);
}
