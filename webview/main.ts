/**
 * Webview entry: draws what the host sends and posts the user's requests back.
 * Messages only update the model; the view and the chart catch up once per animation frame.
 */
// Only the components the panel uses, to keep the bundle small.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import * as l10n from '@vscode/l10n';
import { observeThemeChanges } from './chartTheme';
import { ConfigForm } from './configForm';
import { frameTask, trailingThrottle } from './frame';
import { parseHostMessage } from './hostMessages';
import { GradFlowChart } from './gradFlowChart';
import { GateHeatmap, parsePinnedUnits, type HeatmapChoice } from './gateHeatmap';
import { GradHeatmap } from './gradHeatmap';
import { configureL10n, readEmbeddedBundle } from './l10n';
import { createLiveRegion } from './liveRegion';
import { LossChart } from './lossChart';
import { parseLossView } from './lossTransform';
import type { LossViewOptions } from './lossTransform';
import { PanelModel } from './panelModel';
import { SaturationPlot } from './saturationPlot';
import { RunsView } from './runsView';
import { Seq2SeqFormView } from './seq2seqForm';
import { Seq2SeqCard } from './seq2seqView';
import { UnitsView } from './unitsView';
import { PanelView } from './view';
import { addPngButton } from './pngExport';
import { connectToHost } from './vscodeApi';

// Saving serialises every point, so it is rate-limited; a hidden-then-shown panel may lose
// the last second, which the host's snapshot then fills in.
const SAVE_INTERVAL_MS = 1000;

// Before anything is drawn: every text after this is in the display language.
configureL10n(readEmbeddedBundle());
const vscode = connectToHost();
createLiveRegion(document.querySelector('main') ?? document.body);
const model = new PanelModel();
const view = new PanelView();
const chart = new LossChart(view.chartContainer);
const gradChart = new GradFlowChart(view.gradContainer);
const gradHeatmap = new GradHeatmap(view.gradHeatmap, view.gradHeatmapCaption);

let drawnSeries = -1;
let drawnGrad = -1;
let drawnTrace = -1;
let drawnRuns = -1;
let drawnForm = -1;
let drawnStatus: string | null = '';
const runsView = new RunsView(document.getElementById('runs-body')!, document.getElementById('runs-note')!, {
  select: (runIds) => vscode.postMessage({ type: 'select', runIds }),
  resume: (runId) => vscode.postMessage({ type: 'resume', runId }),
  remove: (runId) => vscode.postMessage({ type: 'deleteRun', runId }),
  edit: (runId) => vscode.postMessage({ type: 'editRun', runId }),
});
const form = new ConfigForm(document.getElementById('config-form')!,
  (config) => vscode.postMessage({ type: 'train', config }),
  () => vscode.postMessage({ type: 'saveCheckpoint' }),
  () => vscode.postMessage({ type: 'loadCheckpoint' }),
  (config) => vscode.postMessage({ type: 'saveSettings', config }));
const gates = new GateHeatmap(view.gatesHeatmap, view.gatesTooltip, view.gatesLegend, (offset) => vscode.postMessage({ type: 'reveal', offset }));
let gateChoice: HeatmapChoice = { layer: 0, name: 'forget' };
const unitsView = new UnitsView(
  document.getElementById('units-found')!, document.getElementById('units-pattern')!, document.getElementById('units-note')!, document.getElementById('units-body')!,
  (u) => vscode.postMessage({ type: 'showUnit', ...u }),
);
let drawnUnits = -1;
const saturation = new SaturationPlot(view.gatesSaturation);
const seq2seq = new Seq2SeqCard(document.getElementById('s2s-card')!, {
  decode: (source) => vscode.postMessage({ type: 's2sDecode', source }),
  continueTraining: () => vscode.postMessage({ type: 's2sContinue' }),
  save: () => vscode.postMessage({ type: 's2sSave' }),
  load: () => vscode.postMessage({ type: 'loadCheckpoint' }),
  compare: (runIds) => vscode.postMessage({ type: 's2sSelect', runIds }),
  show: (runId) => vscode.postMessage({ type: 's2sShow', runId }),
  remove: (runId) => vscode.postMessage({ type: 's2sDelete', runId }),
});
const seq2seqForm = new Seq2SeqFormView(document.getElementById('s2s-form')!,
  (form) => vscode.postMessage({ type: 's2sTrain', form }), () => vscode.postMessage({ type: 's2sCompare' }));
let drawnSeq2Seq = -1;
let drawnSeq2SeqForm = -1;

/** Keeps the user's choice where the new trace has it; otherwise the first gate, or h. */
function fitChoice(layers: number, names: readonly string[], c: HeatmapChoice): HeatmapChoice {
  const layer = c.layer < layers ? c.layer : 0;
  const name = names.includes(c.name) ? c.name : names.find((n) => n !== 'c' && n !== 'h') ?? 'h';
  return { layer, name, order: c.order };
}
const render = frameTask(() => {
  view.render(model.state);
  if (drawnSeries !== model.seriesVersion) {
    drawnSeries = model.seriesVersion;
    chart.setSeries(model.state.train, model.state.val);
  }
  if (drawnTrace !== model.traceVersion) {
    drawnTrace = model.traceVersion;
    const trace = model.state.trace ?? null;
    const { layers, names } = GateHeatmap.choices(trace);
    if (names.length > 0) gateChoice = fitChoice(layers, names, gateChoice);
    view.setGateChoices(layers, names, gateChoice, trace?.step ?? null);
    gates.set(trace, gateChoice);
    saturation.set(trace, gateChoice.layer);
  }
  const training = model.state.status === 'running';
  if (drawnRuns !== model.runsVersion || drawnStatus !== model.state.status) {
    drawnRuns = model.runsVersion;
    drawnStatus = model.state.status;
    runsView.set(model.state.runs, model.state.selected, model.state.run?.runId ?? null, training);
    chart.setOverlays(model.state.overlays);
    gradChart.setOverlays(model.state.overlays);
    form.setTraining(training);
  }
  if (drawnUnits !== model.unitsVersion) {
    drawnUnits = model.unitsVersion;
    unitsView.set(model.units);
  }
  if (drawnSeq2Seq !== model.seq2seqVersion) {
    drawnSeq2Seq = model.seq2seqVersion;
    seq2seq.set(model.seq2seq);
    seq2seqForm.setTraining(model.seq2seq?.status === 'running' || model.seq2seq?.status === 'starting');
  }
  if (drawnSeq2SeqForm !== model.seq2seqFormVersion && model.seq2seqForm) {
    drawnSeq2SeqForm = model.seq2seqFormVersion;
    seq2seqForm.set(model.seq2seqForm);
  }
  if (drawnForm !== model.formVersion) {
    drawnForm = model.formVersion;
    form.set(model.state.form);
  }
  if (drawnGrad !== model.gradVersion) {
    drawnGrad = model.gradVersion;
    gradChart.set(model.state.gradFlow);
    gradHeatmap.set(model.state.gradHistory);
  }
});
// The chart's view options are the user's, kept beside the model's state.
let lossViewOptions: LossViewOptions;
const persist = () => vscode.setState({ ...(model.toPersisted() as object), lossView: lossViewOptions, pinnedUnits: gates.pinnedUnits });
const save = trailingThrottle(persist, SAVE_INTERVAL_MS);

// Draw the last known state at once; the host's snapshot, answering `ready`, replaces it.
const saved = vscode.getState();
model.restore(saved);
lossViewOptions = parseLossView((saved as { lossView?: unknown } | undefined)?.lossView);
chart.setView(lossViewOptions);
gates.setPinned(parsePinnedUnits((saved as { pinnedUnits?: unknown } | undefined)?.pinnedUnits));
gates.onPinnedChange(save);
// Slider drags fire many input events: rebuild the chart once per frame at most.
const applyLossView = frameTask(() => chart.setView(lossViewOptions));
view.bindLossControls(lossViewOptions, (next) => {
  lossViewOptions = next;
  applyLossView();
  save();
});
view.bindGradControls(true, (relative) => gradChart.setRelative(relative));
view.onGateChoice((choice) => {
  gateChoice = choice;
  gates.set(model.state.trace ?? null, choice);
  saturation.set(model.state.trace ?? null, choice.layer);
});
render();

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseHostMessage(event.data);
  if (message && model.apply(message)) {
    render();
    save();
  }
});
view.onStop(() => vscode.postMessage({ type: 'stop' }));
view.onTrain(() => vscode.postMessage({ type: 'train' }));
view.onSample((temperature) => vscode.postMessage({ type: 'sample', temperature }));
view.onExport((format) => vscode.postMessage({ type: 'export', format }));
addPngButton(document.getElementById('export-json')!, 'loss', document.getElementById('loss-chart')!, l10n.t('the loss chart'), (m) => vscode.postMessage(m));
addPngButton(document.getElementById('gates-order')!, 'gates', view.gatesHeatmap, l10n.t('the gates heatmap'), (m) => vscode.postMessage(m));
observeThemeChanges(frameTask(() => { chart.refreshTheme(); gradChart.refreshTheme(); }));

vscode.postMessage({ type: 'ready' });
