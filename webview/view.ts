/**
 * The panel's text and buttons, over the skeleton from src/panel/html.ts. Everything that comes
 * from the host is written with textContent, never parsed as HTML.
 */
import * as l10n from '@vscode/l10n';
import type { LossPoint, RunInfo, RunStatus } from '../src/protocol/webviewProtocol';
import { baseName, formatCount, formatInteger, formatLearningRate, formatLoss } from './format';
import type { HeatmapChoice, UnitOrder } from './gateHeatmap';
import type { LossViewOptions } from './lossTransform';
import type { PanelState } from './panelModel';

/** What the status line calls a run's status (translated when shown, not at load). */
function statusLabel(status: RunStatus): string {
  switch (status) {
    case 'running': return l10n.t('Training');
    case 'completed': return l10n.t('Completed');
    case 'stopped': return l10n.t('Stopped');
    case 'diverged': return l10n.t('Diverged');
    case 'failed': return l10n.t('Failed');
  }
}

export class PanelView {
  readonly chartContainer = byId('loss-chart');
  readonly gradContainer = byId('grad-chart');
  readonly gradHeatmap = byId('grad-heatmap');
  readonly gradHeatmapCaption = byId('grad-heatmap-caption');
  private readonly gradPlaceholder = byId('grad-placeholder');
  private readonly gradStep = byId('grad-step');
  private readonly runFile = byId('run-file');
  private readonly runConfig = byId('run-config');
  private readonly stopButton = byId('stop-button');
  private readonly trainButton = byId('train-button');
  private readonly emptyState = byId('empty-state');
  private readonly runView = byId('run-view');
  private readonly statusLine = byId('status-line');
  private readonly statusState = byId('status-state');
  private readonly statusStep = byId('status-step');
  private readonly statusTrain = byId('status-train');
  private readonly statusVal = byId('status-val');
  private readonly statusSpeed = byId('status-speed');
  private readonly statusMessage = byId('status-message');
  private readonly chartPlaceholder = byId('chart-placeholder');
  private readonly sampleStep = byId('sample-step');
  private readonly sample = byId('sample');
  // Undefined until the first render, so that render always fills the header once.
  private shownRun: RunInfo | null | undefined;

  private readonly lossBits = byId('loss-bits') as HTMLElement & { checked: boolean };
  private readonly lossLog = byId('loss-log') as HTMLElement & { checked: boolean };
  private readonly lossTime = byId('loss-time') as HTMLElement & { checked: boolean };
  private readonly lossSmoothing = byId('loss-smoothing') as HTMLInputElement;
  private readonly lossSmoothingValue = byId('loss-smoothing-value');

  private readonly gradRelative = byId('grad-relative') as HTMLElement & { checked: boolean };
  readonly gatesHeatmap = byId('gates-heatmap');
  readonly gatesTooltip = byId('gates-tooltip');
  readonly gatesLegend = byId('gates-legend');
  readonly gatesSaturation = byId('gates-saturation');
  private readonly gatesPlaceholder = byId('gates-placeholder');
  private readonly gatesStep = byId('gates-step');
  private readonly gatesLayer = byId('gates-layer') as HTMLElement & { value: string };
  private readonly gatesName = byId('gates-name') as HTMLElement & { value: string };
  private readonly gatesOrder = byId('gates-order') as HTMLElement & { value: string };
  private shownChoices = '';

  /** Fills the layer and name selectors (only when the choices change) and shows `choice`. */
  setGateChoices(layers: number, names: readonly string[], choice: HeatmapChoice, step: number | null): void {
    this.gatesPlaceholder.hidden = names.length > 0;
    setText(this.gatesStep, step !== null && names.length > 0 ? l10n.t('model at step {0}', formatInteger(step)) : '');
    const key = `${layers}|${names.join(',')}`;
    if (key !== this.shownChoices) {
      this.shownChoices = key;
      this.gatesLayer.replaceChildren(...Array.from({ length: layers }, (_, l) => option(String(l), l10n.t('layer {0}', l + 1))));
      this.gatesName.replaceChildren(...names.map((n) => option(n, n)));
      this.gatesLayer.hidden = layers <= 1;
    }
    this.gatesLayer.value = String(choice.layer);
    this.gatesName.value = choice.name;
  }

  onGateChoice(handler: (choice: HeatmapChoice) => void): void {
    const order = (): UnitOrder => (['mean', 'variance', 'saturation'].includes(this.gatesOrder.value) ? this.gatesOrder.value as UnitOrder : 'unit');
    const changed = () => handler({ layer: Number(this.gatesLayer.value) || 0, name: this.gatesName.value, order: order() });
    this.gatesLayer.addEventListener('change', changed);
    this.gatesName.addEventListener('change', changed);
    this.gatesOrder.addEventListener('change', changed);
  }

  private readonly sampleTemperature = byId('sample-temperature') as HTMLInputElement;
  private readonly sampleTemperatureValue = byId('sample-temperature-value');
  private readonly sampleButton = byId('sample-button');

  private readonly exportCsv = byId('export-csv');
  private readonly exportJson = byId('export-json');

  constructor() {
    // The selects name their inner control from `label`: an aria-label on the element does not reach it.
    for (const select of [this.gatesLayer, this.gatesName, this.gatesOrder]) select.setAttribute('label', select.getAttribute('aria-label') ?? '');
    // The buttons' short text stays at the start of their names.
    this.exportCsv.setAttribute('aria-label', l10n.t('CSV: save the loss series as a CSV file'));
    this.exportJson.setAttribute('aria-label', l10n.t('JSON: save the loss series and gradient flow as a JSON file'));
  }

  onExport(handler: (format: 'csv' | 'json') => void): void {
    onEnabledClick(this.exportCsv, () => handler('csv'));
    onEnabledClick(this.exportJson, () => handler('json'));
  }

  /** Reports a request for a sample at the chosen temperature. */
  onSample(handler: (temperature: number) => void): void {
    this.sampleTemperature.addEventListener('input', () => setText(this.sampleTemperatureValue, Number(this.sampleTemperature.value).toFixed(2)));
    onEnabledClick(this.sampleButton, () => handler(Number(this.sampleTemperature.value)));
  }

  /** Reports the gradient chart's relative/absolute switch. */
  bindGradControls(relative: boolean, onChange: (relative: boolean) => void): void {
    this.gradRelative.checked = relative;
    this.gradRelative.addEventListener('change', () => onChange(this.gradRelative.checked));
  }

  /** Shows `view` in the loss chart's controls and reports the user's changes. */
  bindLossControls(view: LossViewOptions, onChange: (view: LossViewOptions) => void): void {
    this.lossBits.checked = view.bits;
    this.lossLog.checked = view.logY;
    this.lossTime.checked = view.time;
    this.lossSmoothing.value = String(view.smoothing);
    setText(this.lossSmoothingValue, view.smoothing.toFixed(2));
    const read = (): LossViewOptions => ({
      bits: this.lossBits.checked, logY: this.lossLog.checked, smoothing: Number(this.lossSmoothing.value), time: this.lossTime.checked,
    });
    const changed = () => {
      const next = read();
      setText(this.lossSmoothingValue, next.smoothing.toFixed(2));
      onChange(next);
    };
    this.lossBits.addEventListener('change', changed);
    this.lossLog.addEventListener('change', changed);
    this.lossTime.addEventListener('change', changed);
    this.lossSmoothing.addEventListener('input', changed);
  }

  onStop(handler: () => void): void {
    onEnabledClick(this.stopButton, handler);
  }

  onTrain(handler: () => void): void {
    onEnabledClick(this.trainButton, handler);
  }

  render(state: PanelState): void {
    const { run, status } = state;
    this.emptyState.hidden = run !== null;
    this.runView.hidden = run === null;
    this.stopButton.toggleAttribute('disabled', status !== 'running');
    this.trainButton.toggleAttribute('disabled', status === 'running');
    // A sample needs a model: any run that has taken a step.
    this.sampleButton.toggleAttribute('disabled', state.train.length === 0);
    this.exportCsv.toggleAttribute('disabled', state.train.length + state.val.length === 0);
    this.exportJson.toggleAttribute('disabled', state.train.length + state.val.length === 0);
    if (run !== this.shownRun) this.renderRun(run);
    if (run === null) return;

    this.statusLine.dataset.status = status ?? 'waiting';
    const lastTrain = last(state.train);
    const lastVal = last(state.val);
    // Without a status from the host there is nothing to claim once points arrive.
    setText(this.statusState, status ? statusLabel(status) : lastTrain || lastVal ? '' : l10n.t('Waiting for the first step'));
    const step = Math.max(lastTrain?.step ?? -1, lastVal?.step ?? -1);
    setText(this.statusStep, step >= 0 ? l10n.t('step {0}', formatInteger(step)) : '');
    setText(this.statusTrain, lastTrain ? l10n.t('train {0}', formatLoss(lastTrain.loss)) : '');
    setText(this.statusVal, lastVal ? l10n.t('val {0}', formatLoss(lastVal.loss)) : '');
    setText(this.statusSpeed, state.charsPerSec > 0 ? l10n.t('{0} chars/s', formatInteger(state.charsPerSec)) : '');
    setText(this.statusMessage, state.statusMessage ?? '');
    this.statusMessage.hidden = !state.statusMessage;

    this.chartPlaceholder.hidden = state.train.length + state.val.length > 0;
    this.gradPlaceholder.hidden = state.gradFlow !== null;
    const g = state.gradFlow;
    setText(this.gradStep, !g ? '' : g.clipped ? l10n.t('at step {0} · clipped', formatInteger(g.step)) : l10n.t('at step {0}', formatInteger(g.step)));
    setText(this.sampleStep, state.sample !== null && state.sampleStep !== null ? l10n.t('at step {0}', formatInteger(state.sampleStep)) : '');
    setText(this.sample, state.sample ?? l10n.t('No sample yet.'));
    this.sample.classList.toggle('muted', state.sample === null);
  }

  private renderRun(run: RunInfo | null): void {
    this.shownRun = run;
    setText(this.runFile, run ? baseName(run.fileName) : 'LSTM Lab');
    this.runFile.title = run?.fileName ?? '';
    const entries: [string, string][] = run
      ? [
          [l10n.t('cell'), run.layers > 1 ? `${run.cell} × ${formatInteger(run.layers)}` : run.cell],
          [l10n.t('hidden'), formatInteger(run.hiddenSize)],
          [l10n.t('seq'), formatInteger(run.seqLength)],
          [l10n.t('batch'), formatInteger(run.batchSize)],
          [l10n.t('lr'), formatLearningRate(run.learningRate)],
          [l10n.t('vocab'), formatInteger(run.vocabSize)],
          [l10n.t('tokens'), l10n.t('{0} train · {1} val', formatCount(run.trainTokens), formatCount(run.valTokens))],
        ]
      : [];
    this.runConfig.replaceChildren(...entries.map(([term, value]) => {
      const item = document.createElement('div');
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      dt.textContent = term;
      dd.textContent = value;
      item.append(dt, dd);
      return item;
    }));
  }
}

function option(value: string, label: string): HTMLElement {
  const o = document.createElement('vscode-option');
  o.setAttribute('value', value);
  o.textContent = label;
  return o;
}

function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`panel HTML has no #${id}`);
  return el;
}

/** Skips unchanged text: this runs every frame while training, and each write costs a layout. */
function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

function last(points: readonly LossPoint[]): LossPoint | undefined {
  return points[points.length - 1];
}

/** vscode-button still dispatches click events while disabled (e.g. from scripts), so check here. */
function onEnabledClick(button: HTMLElement, handler: () => void): void {
  button.addEventListener('click', () => {
    if (!button.hasAttribute('disabled')) handler();
  });
}
