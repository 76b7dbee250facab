/**
 * The door between the extension host and the panel webview.
 * The host validates every message coming from the webview with `parseWebviewMessage`.
 */
import { isObject } from './messages';
import type { TrainConfig } from './runConfig';

export interface RunInfo {
  runId: string;
  fileName: string;
  startedAt: number;
  /** Cell type, e.g. "lstm". */
  cell: string;
  layers: number;
  hiddenSize: number;
  seqLength: number;
  batchSize: number;
  learningRate: number;
  vocabSize: number;
  trainTokens: number;
  valTokens: number;
}

export interface LossPoint {
  step: number;
  loss: number;
  /** Seconds of training since the run started (across resumes), when known. */
  seconds?: number;
}

/**
 * One measurement of gradient flow through time: how much of the window's last-step loss reaches
 * the hidden (and cell) state k steps back, k = 0 … T−1.
 */
export interface GradFlow {
  step: number;
  /** ‖∂ℓ_T/∂h_{T−k}‖ by lag k */ h: number[];
  /** ‖∂ℓ_T/∂c_{T−k}‖ by lag k (empty without a cell state) */ c: number[];
  /** True when this step's gradient was clipped. */
  clipped: boolean;
}

/** Gate and state activations over a span of the trained text, for the heatmaps. */
import type { AttentionMap, Seq2SeqEval, Seq2SeqExample } from './seq2seqMessages';
import { parseSeq2SeqPanelMessage, SEQ2SEQ_PANEL_TYPES, type Seq2SeqForm, type Seq2SeqPanelMessage, type Seq2SeqRunRow } from './seq2seqPanel';

export interface TraceView {
  /** Training step of the model that produced it. */
  step: number;
  /** The tokens of the span, in order. */
  tokens: string[];
  /** UTF-16 offset of each token in the document. */
  offsets: number[];
  /**
   * Per layer: [tokens × units] row-major values by name (gates, then c and h). Float32Arrays, so
   * that the panel gets them as binary data rather than as JSON numbers.
   */
  layers: { units: number; values: Record<string, Float32Array> }[];
  /** Names that are gates in (0, 1); the others are signed. */
  gates: string[];
}

export type RunStatus = 'running' | 'completed' | 'stopped' | 'diverged' | 'failed';

/** One stored run, as the run list shows it. */
export interface RunSummary {
  run: RunInfo;
  status: RunStatus;
  message: string | null;
  /** Last training loss and best validation loss, in nats, when known. */
  trainLoss: number | null;
  bestValLoss: number | null;
  steps: number;
  /** True when a checkpoint of this run is on disk (resume, load). */
  hasCheckpoint: boolean;
  /** The user's name for the run (null: the list shows cell, size, file and time) and note. */
  name: string | null;
  note: string | null;
  /** The run's settings, to compare two runs side by side (the panel may get a partial one). */
  config: Partial<TrainConfig>;
}

/** Another run drawn over the current charts to compare with it. */
export interface RunOverlay {
  runId: string;
  /** Short label for the legend, e.g. "gru 1×128 · prose.txt". */
  label: string;
  train: LossPoint[];
  val: LossPoint[];
  /** That run's latest gradient-by-lag measurement. */
  gradFlow: GradFlow | null;
}

/** Full panel state: sent on (re)open so the panel can redraw from nothing. */
export interface PanelSnapshot {
  run: RunInfo | null;
  status: RunStatus | null;
  statusMessage: string | null;
  train: LossPoint[];
  val: LossPoint[];
  charsPerSec: number;
  sample: string | null;
  /** The latest gradient-flow measurement. */
  gradFlow: GradFlow | null;
  /** Gradient-flow measurements over training, oldest first (thinned when long). */
  gradHistory: GradFlow[];
  /** Activations around the cursor in the trained document. */
  trace: TraceView | null;
  /** The workspace's stored runs, newest first. */
  runs: RunSummary[];
  /** Runs the user picked to compare (overlaid on the charts). */
  selected: string[];
  /** Data of the picked runs other than the one shown. */
  overlays: RunOverlay[];
  /** What the configuration form starts from: the shown run's settings, or the user's. */
  form: FormConfig;
}

/** The run settings the panel's form edits; the others come from the user's settings. */
export const FORM_FIELDS = ['cell', 'layers', 'hiddenSize', 'seqLength', 'batchSize', 'learningRate', 'optimizer', 'clipNorm', 'dropout', 'tokens', 'seed', 'maxSeconds'] as const;
export type FormField = typeof FORM_FIELDS[number];
export type FormConfig = Pick<TrainConfig, FormField>;

export function formOf(config: TrainConfig): FormConfig {
  return Object.fromEntries(FORM_FIELDS.map((k) => [k, config[k]])) as FormConfig;
}

export type HostToWebview =
  | { type: 'snapshot'; state: PanelSnapshot }
  | { type: 'metrics'; runId: string; train: LossPoint[]; val: LossPoint[]; charsPerSec: number }
  | { type: 'sample'; runId: string; step: number; text: string }
  | { type: 'status'; runId: string; status: RunStatus; message: string | null }
  | { type: 'gradFlow'; runId: string; gradFlow: GradFlow }
  | { type: 'trace'; runId: string; trace: TraceView }
  | { type: 'runs'; runs: RunSummary[]; selected: string[] }
  | { type: 'overlays'; overlays: RunOverlay[] }
  | { type: 'units'; search: UnitSearchView | null }
  | { type: 'seq2seq'; view: Seq2SeqView | null }
  /** The sequence-to-sequence form's starting values (the settings). */
  | { type: 'seq2seqForm'; form: Seq2SeqForm };

/** A sequence-to-sequence run as the panel's card shows it. */
export interface Seq2SeqView {
  runId: string;
  fileName: string;
  status: 'starting' | 'running' | 'completed' | 'stopped' | 'failed';
  message: string | null;
  /** The model and data in a line: cell, size, attention, pairs. */
  summary: string;
  step: number;
  tokensPerSec: number;
  evals: Seq2SeqEval[];
  examples: Seq2SeqExample[];
  attention: AttentionMap | null;
  sourceGradNorms: number[];
  /** The pair on the cursor's line in the trained file (line null: a source typed into the card), decoded by the current model (null: none yet). */
  focus: { line: number | null; source: string; target: string | null; output: string; attention: AttentionMap | null } | null;
  /** The run's model is kept (it can decode, continue and be saved). */
  hasModel: boolean;
  /** Every kept run, newest first, for the card's run list. */
  runs: Seq2SeqRunRow[];
  /** Earlier runs on the same file, drawn beside this one's accuracy (say, without attention). */
  compare: { runId: string; label: string; evals: Seq2SeqEval[] }[];
}

/** A Find Units Tracking Pattern result, as the panel lists it. */
export interface UnitSearchView {
  /** What was searched: "/regex/" or "the selection". */
  pattern: string;
  tokens: number;
  positives: number;
  /** Whether only the start of a long document was read. */
  truncated: boolean;
  units: { layer: number; name: string; unit: number; r: number; inside: number; outside: number }[];
}

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'stop' }
  | { type: 'train'; config?: Partial<FormConfig> }
  | { type: 'sample'; temperature: number }
  | { type: 'export'; format: 'csv' | 'json' }
  /** A chart drawn as a PNG (a data: URL) for the host to save where the user says. */
  | { type: 'savePng'; chart: PngChart; dataUrl: string }
  | { type: 'reveal'; offset: number }
  | { type: 'resume'; runId: string }
  | { type: 'select'; runIds: string[] }
  | { type: 'deleteRun'; runId: string }
  /** Writes the form's values to the workspace's lstmLab.train.* settings. */
  | { type: 'saveSettings'; config: Partial<FormConfig> }
  /** Asks the host to let the user rename the run and edit its note. */
  | { type: 'editRun'; runId: string }
  | { type: 'saveCheckpoint' }
  | { type: 'loadCheckpoint' }
  | { type: 'showUnit'; layer: number; name: string; unit: number }
  | Seq2SeqPanelMessage;

/** Names a unit can be traced by: the cells' gates, c and h. */
const UNIT_NAME = /^[a-z]{1,12}$/;

const NO_PAYLOAD = new Set(['ready', 'stop', 'train', 'saveCheckpoint', 'loadCheckpoint']);

/** Run ids as the host makes them. */
const RUN_ID = /^run-[a-z0-9]{1,16}$/;

/** Charts the panel can save as PNG. */
export const PNG_CHARTS = ['loss', 'gates'] as const;
export type PngChart = (typeof PNG_CHARTS)[number];
export const PNG_DATA_URL = 'data:image/png;base64,';
/** About 15 MB of PNG: far more than a panel-sized chart at any pixel ratio. */
export const MAX_PNG_URL = 20_000_000;
/** Most runs that can be compared at once. */
export const MAX_SELECTED_RUNS = 8;

/**
 * Up to five names, each cut to 40 characters: a reason is logged, and a message may carry
 * field names of any length and number.
 */
function someNames(names: readonly string[]): string {
  return names.slice(0, 5).map((n) => (n.length > 40 ? `${n.slice(0, 40)}…` : n)).join(', ') + (names.length > 5 ? ', …' : '');
}

function onlyFields(value: Record<string, unknown>, allowed: readonly string[]): string | null {
  const extra = Object.keys(value).filter((k) => k !== 'type' && !allowed.includes(k));
  return extra.length > 0 ? `unexpected fields: ${someNames(extra)}` : null;
}

/** A form configuration with only known fields of the right types; ranges are checked by the host's settings validation. */
function parseFormConfig(v: unknown): { ok: true; config: Partial<FormConfig> } | { ok: false; reason: string } {
  if (!isObject(v)) return { ok: false, reason: 'config must be an object' };
  const unknown = Object.keys(v).filter((k) => !(FORM_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) return { ok: false, reason: `unknown config fields: ${someNames(unknown)}` };
  for (const [k, x] of Object.entries(v)) {
    const text = k === 'cell' || k === 'optimizer' || k === 'tokens';
    if (text ? typeof x !== 'string' || x.length > 20 : typeof x !== 'number' || !Number.isFinite(x)) return { ok: false, reason: `config.${k} has the wrong type` };
  }
  return { ok: true, config: v as Partial<FormConfig> };
}

/** Sampling temperatures the panel may ask for. */
export const TEMPERATURE_RANGE = { min: 0.1, max: 2 } as const;

/**
 * Returns the message if it is well-formed, otherwise a reason why not (at most a few hundred
 * characters, whatever the message's size). Never throws.
 */
export function parseWebviewMessage(value: unknown): { ok: true; message: WebviewToHost } | { ok: false; reason: string } {
  try {
    return parseMessage(value);
  } catch (e) {
    // Only a value that is not plain data (a getter, a proxy) gets here.
    return { ok: false, reason: `the message could not be read: ${String(e instanceof Error ? e.message : e).slice(0, 100)}` };
  }
}

function parseMessage(value: unknown): { ok: true; message: WebviewToHost } | { ok: false; reason: string } {
  if (!isObject(value)) return { ok: false, reason: 'not an object' };
  const type = value.type;
  if (typeof type !== 'string') return { ok: false, reason: 'missing type' };
  if (SEQ2SEQ_PANEL_TYPES.includes(type)) return parseSeq2SeqPanelMessage(value);
  if (type === 'sample') {
    const extra = Object.keys(value).filter((k) => k !== 'type' && k !== 'temperature');
    if (extra.length > 0) return { ok: false, reason: `unexpected fields: ${someNames(extra)}` };
    const t = value.temperature;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < TEMPERATURE_RANGE.min || t > TEMPERATURE_RANGE.max) {
      return { ok: false, reason: `temperature must be a number from ${TEMPERATURE_RANGE.min} to ${TEMPERATURE_RANGE.max}` };
    }
    return { ok: true, message: { type: 'sample', temperature: t } };
  }
  if (type === 'reveal') {
    const extra = Object.keys(value).filter((k) => k !== 'type' && k !== 'offset');
    if (extra.length > 0) return { ok: false, reason: `unexpected fields: ${someNames(extra)}` };
    const o = value.offset;
    if (typeof o !== 'number' || !Number.isInteger(o) || o < 0 || o > 1e9) return { ok: false, reason: 'offset must be a whole number ≥ 0' };
    return { ok: true, message: { type: 'reveal', offset: o } };
  }
  if (type === 'savePng') {
    const bad = onlyFields(value, ['chart', 'dataUrl']);
    if (bad) return { ok: false, reason: bad };
    if (!PNG_CHARTS.includes(value.chart as PngChart)) return { ok: false, reason: `chart must be one of ${PNG_CHARTS.join(', ')}` };
    const url = value.dataUrl;
    if (typeof url !== 'string' || !url.startsWith(PNG_DATA_URL) || url.length > MAX_PNG_URL) return { ok: false, reason: `dataUrl must be a PNG data URL of at most ${MAX_PNG_URL} characters` };
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(url.slice(PNG_DATA_URL.length))) return { ok: false, reason: 'dataUrl is not base64' };
    return { ok: true, message: { type: 'savePng', chart: value.chart as PngChart, dataUrl: url } };
  }
  if (type === 'export') {
    const extra = Object.keys(value).filter((k) => k !== 'type' && k !== 'format');
    if (extra.length > 0) return { ok: false, reason: `unexpected fields: ${someNames(extra)}` };
    if (value.format !== 'csv' && value.format !== 'json') return { ok: false, reason: 'format must be csv or json' };
    return { ok: true, message: { type: 'export', format: value.format } };
  }
  if (type === 'saveSettings') {
    const bad = onlyFields(value, ['config']);
    if (bad) return { ok: false, reason: bad };
    const c = parseFormConfig(value.config);
    return c.ok ? { ok: true, message: { type: 'saveSettings', config: c.config } } : c;
  }
  if (type === 'train' && 'config' in value) {
    const bad = onlyFields(value, ['config']);
    if (bad) return { ok: false, reason: bad };
    const c = parseFormConfig(value.config);
    return c.ok ? { ok: true, message: { type: 'train', config: c.config } } : c;
  }
  if (type === 'resume' || type === 'deleteRun' || type === 'editRun') {
    const bad = onlyFields(value, ['runId']);
    if (bad) return { ok: false, reason: bad };
    if (typeof value.runId !== 'string' || !RUN_ID.test(value.runId)) return { ok: false, reason: 'runId is not a run id' };
    return { ok: true, message: { type, runId: value.runId } };
  }
  if (type === 'showUnit') {
    const bad = onlyFields(value, ['layer', 'name', 'unit']);
    if (bad) return { ok: false, reason: bad };
    const { layer, name, unit } = value;
    if (typeof layer !== 'number' || !Number.isInteger(layer) || layer < 0 || layer > 3) return { ok: false, reason: 'layer must be a whole number from 0 to 3' };
    if (typeof name !== 'string' || !UNIT_NAME.test(name)) return { ok: false, reason: 'name must be a gate, c or h' };
    if (typeof unit !== 'number' || !Number.isInteger(unit) || unit < 0 || unit > 4095) return { ok: false, reason: 'unit must be a whole number from 0 to 4095' };
    return { ok: true, message: { type: 'showUnit', layer, name, unit } };
  }
  if (type === 'select') {
    const bad = onlyFields(value, ['runIds']);
    if (bad) return { ok: false, reason: bad };
    const ids = value.runIds;
    if (!Array.isArray(ids) || ids.length > MAX_SELECTED_RUNS || !ids.every((id) => typeof id === 'string' && RUN_ID.test(id))) {
      return { ok: false, reason: `runIds must be a list of at most ${MAX_SELECTED_RUNS} run ids` };
    }
    return { ok: true, message: { type: 'select', runIds: [...new Set(ids as string[])] } };
  }
  if (!NO_PAYLOAD.has(type)) return { ok: false, reason: `unknown type ${JSON.stringify(type.length > 40 ? `${type.slice(0, 40)}…` : type)}` };
  const extra = Object.keys(value).filter((k) => k !== 'type');
  if (extra.length > 0) return { ok: false, reason: `unexpected fields: ${someNames(extra)}` };
  return { ok: true, message: { type } as WebviewToHost };
}

export function emptySnapshot(form: FormConfig): PanelSnapshot {
  return {
    run: null, status: null, statusMessage: null, train: [], val: [], charsPerSec: 0, sample: null, gradFlow: null, gradHistory: [], trace: null,
    runs: [], selected: [], overlays: [], form,
  };
}

/** Gradient-flow measurements kept for the heatmap over training, on both sides. */
export const MAX_GRAD_HISTORY = 400;

/** Beyond `max` entries, the oldest half is thinned to every other entry: long runs keep their start. */
export function thinned<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const half = Math.floor(items.length / 2);
  return items.slice(0, half).filter((_, i) => i % 2 === 0).concat(items.slice(half));
}
