/**
 * The workspace's runs: one row each with its settings, status and losses. Ticking rows overlays
 * those runs on the charts; a run with a checkpoint can be resumed; any run but the shown one
 * can be deleted (the host asks first).
 */
import * as l10n from '@vscode/l10n';
import type { RunStatus, RunSummary } from '../src/protocol/webviewProtocol';
import { MAX_SELECTED_RUNS } from '../src/protocol/webviewProtocol';
import { baseName } from './format';
import { renderSettingsDiff, runsToCompare } from './runsDiff';

export interface RunsActions {
  select(runIds: string[]): void;
  resume(runId: string): void;
  remove(runId: string): void;
  /** Rename the run and edit its note (the host asks). */
  edit(runId: string): void;
}

function fmt(x: number | null): string {
  return x === null ? '–' : x.toFixed(3);
}

/** A run's status as its row says it. */
function statusText(status: RunStatus): string {
  switch (status) {
    case 'running': return l10n.t('running');
    case 'completed': return l10n.t('completed');
    case 'stopped': return l10n.t('stopped');
    case 'diverged': return l10n.t('diverged');
    case 'failed': return l10n.t('failed');
  }
}

export class RunsView {
  private selected: string[] = [];
  private readonly diff = document.createElement('div');

  constructor(private readonly body: HTMLElement, private readonly note: HTMLElement, private readonly actions: RunsActions) {
    this.diff.id = 'runs-diff';
    this.diff.className = 'runs-diff';
    this.diff.hidden = true;
    (body.closest('table') ?? body).after(this.diff);
  }

  /** Redraws the list; `shownId` is the run the charts show, `training` whether a run goes. */
  set(runs: readonly RunSummary[], selected: readonly string[], shownId: string | null, training: boolean): void {
    this.selected = selected.filter((id) => runs.some((r) => r.run.runId === id));
    this.body.replaceChildren(...runs.map((r) => this.row(r, r.run.runId === shownId, training)));
    this.body.dataset.runs = String(runs.length);
    this.body.dataset.selected = this.selected.join(',');
    this.note.textContent = runs.length === 0
      ? l10n.t('Runs of this workspace appear here. Tick runs to draw their loss and gradient flow over the current run.')
      : l10n.t('Tick up to {0} runs to draw them over the current run\'s charts; tick one (or two) to compare settings side by side.', MAX_SELECTED_RUNS);
    renderSettingsDiff(this.diff, runsToCompare(runs, this.selected, shownId));
  }

  private row(s: RunSummary, shown: boolean, training: boolean): HTMLElement {
    const id = s.run.runId;
    const tr = document.createElement('tr');
    tr.dataset.runId = id;
    tr.dataset.status = s.status;
    if (shown) tr.classList.add('run-shown');
    // The page's language (src/panel/html.ts sets a valid one) names the month.
    const when = new Date(s.run.startedAt).toLocaleString(document.documentElement.lang || 'en', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
    const runName = `${s.run.cell} ${s.run.layers}×${s.run.hiddenSize}`;
    // Every row has the same buttons: their names say which run they act on.
    const label = `${s.name ?? runName} · ${baseName(s.run.fileName)} · ${when}`;
    const pick = document.createElement('input');
    pick.type = 'checkbox';
    pick.checked = this.selected.includes(id);
    pick.disabled = !pick.checked && this.selected.length >= MAX_SELECTED_RUNS;
    pick.setAttribute('aria-label', l10n.t('Show run {0} on the charts', label));
    pick.addEventListener('change', () => {
      const next = pick.checked ? [...this.selected, id] : this.selected.filter((x) => x !== id);
      this.actions.select(next.slice(0, MAX_SELECTED_RUNS));
    });
    const name = document.createElement('span');
    name.className = 'run-name';
    name.textContent = s.name ?? runName;
    const file = document.createElement('span');
    file.className = 'muted';
    file.textContent = ` · ${s.name ? `${runName} · ` : ''}${s.run.fileName} · ${when}${shown ? ` · ${l10n.t('shown')}` : ''}`;
    const noted: Node[] = [];
    if (s.note) {
      const note = document.createElement('div');
      note.className = 'run-note muted';
      note.textContent = s.note;
      noted.push(note);
    }
    const status = document.createElement('span');
    status.className = `run-status status-${s.status}`;
    status.textContent = statusText(s.status);
    if (s.message) status.title = s.message;
    const buttons = document.createElement('span');
    buttons.className = 'run-actions';
    if (s.hasCheckpoint && s.status !== 'running') {
      const resume = document.createElement('vscode-button');
      resume.setAttribute('secondary', '');
      resume.textContent = l10n.t('Resume');
      resume.title = l10n.t('Continue training this run from its checkpoint');
      resume.className = 'run-resume';
      resume.setAttribute('aria-label', l10n.t('Resume run {0}', label));
      if (training) resume.setAttribute('disabled', '');
      resume.addEventListener('click', () => this.actions.resume(id));
      buttons.append(resume);
    }
    const edit = document.createElement('vscode-button');
    edit.setAttribute('secondary', '');
    edit.textContent = l10n.t('Rename…');
    edit.title = l10n.t('Rename this run and write a note on it');
    edit.className = 'run-edit';
    edit.setAttribute('aria-label', l10n.t('Rename run {0} or edit its note', label));
    edit.addEventListener('click', () => this.actions.edit(id));
    buttons.append(edit);
    // The shown run stays: the charts and hovers use it.
    if (s.status !== 'running' && !shown) {
      const del = document.createElement('vscode-button');
      del.setAttribute('secondary', '');
      del.textContent = l10n.t('Delete');
      del.title = l10n.t('Delete this run, its metrics and its checkpoint');
      del.className = 'run-delete';
      del.setAttribute('aria-label', l10n.t('Delete run {0}', label));
      del.addEventListener('click', () => this.actions.remove(id));
      buttons.append(del);
    }
    const cells: (string | Node[])[] = [[pick], [name, file, ...noted], [status], String(s.steps), fmt(s.trainLoss), fmt(s.bestValLoss), [buttons]];
    for (const c of cells) {
      const td = document.createElement('td');
      if (typeof c === 'string') td.textContent = c;
      else td.append(...c);
      tr.appendChild(td);
    }
    return tr;
  }
}
