/**
 * Loose validation of what the host sends. The host is trusted, but a malformed or newer message
 * must not break the panel: unknown types are ignored and bad points are dropped.
 */
import { isObject } from '../src/protocol/messages';
import { DEFAULT_TRAIN_CONFIG, TRAIN_FIELDS, type TrainConfig } from '../src/protocol/runConfig';
import { FORM_FIELDS, formOf, MAX_SELECTED_RUNS } from '../src/protocol/webviewProtocol';
import type { AttentionMap } from '../src/protocol/seq2seqMessages';
import { parseSeq2SeqForm } from '../src/protocol/seq2seqPanel';
import type { FormConfig, GradFlow, HostToWebview, LossPoint, PanelSnapshot, RunInfo, RunOverlay, RunStatus, RunSummary, Seq2SeqView, TraceView, UnitSearchView } from '../src/protocol/webviewProtocol';

const STATUSES: ReadonlySet<string> = new Set<RunStatus>(['running', 'completed', 'stopped', 'diverged', 'failed']);

/** Returns the message if it is one the panel understands, otherwise null. */
export function parseHostMessage(data: unknown): HostToWebview | null {
  if (!isObject(data)) return null;
  switch (data.type) {
    case 'snapshot': {
      const state = parseSnapshot(data.state);
      return state ? { type: 'snapshot', state } : null;
    }
    case 'metrics':
      if (typeof data.runId !== 'string') return null;
      return {
        type: 'metrics',
        runId: data.runId,
        train: parsePoints(data.train),
        val: parsePoints(data.val),
        charsPerSec: nonNegative(data.charsPerSec),
      };
    case 'sample':
      if (typeof data.runId !== 'string' || typeof data.text !== 'string' || !isFiniteNumber(data.step)) return null;
      return { type: 'sample', runId: data.runId, step: data.step, text: data.text };
    case 'status':
      if (typeof data.runId !== 'string' || !isStatus(data.status)) return null;
      return { type: 'status', runId: data.runId, status: data.status, message: optionalString(data.message) };
    case 'trace': {
      const trace = parseTrace(data.trace);
      if (typeof data.runId !== 'string' || !trace) return null;
      return { type: 'trace', runId: data.runId, trace };
    }
    case 'gradFlow': {
      const gradFlow = parseGradFlow(data.gradFlow);
      if (typeof data.runId !== 'string' || !gradFlow) return null;
      return { type: 'gradFlow', runId: data.runId, gradFlow };
    }
    case 'runs':
      return { type: 'runs', runs: parseRuns(data.runs), selected: parseSelected(data.selected) };
    case 'overlays':
      return { type: 'overlays', overlays: parseOverlays(data.overlays) };
    case 'units':
      return { type: 'units', search: parseUnitSearch(data.search) };
    case 'seq2seq':
      return { type: 'seq2seq', view: parseSeq2Seq(data.view) };
    case 'seq2seqForm': {
      const f = parseSeq2SeqForm(data.form);
      return f.ok ? { type: 'seq2seqForm', form: f.form } : null;
    }
    default:
      return null;
  }
}

const S2S_STATUSES = new Set(['starting', 'running', 'completed', 'stopped', 'failed']);
/** Longest source or output the attention map draws (tokens). */
const MAX_ATTENTION_TOKENS = 400;

/** A sequence-to-sequence card's data with only well-formed parts, or null. */
export function parseSeq2Seq(value: unknown): Seq2SeqView | null {
  if (!isObject(value) || typeof value.runId !== 'string' || typeof value.fileName !== 'string' || !S2S_STATUSES.has(value.status as string)) return null;
  const num = (x: unknown) => (isFiniteNumber(x) ? x : 0);
  const parseEvals = (list: unknown) => (Array.isArray(list) ? list : []).filter(isObject).filter((e) =>
    isFiniteNumber(e.step) && isFiniteNumber(e.seconds) && isFiniteNumber(e.tokenAccuracy) && isFiniteNumber(e.exactMatch)).slice(-2000)
    .map((e) => ({ step: e.step as number, seconds: e.seconds as number, loss: num(e.loss), tokenAccuracy: e.tokenAccuracy as number, exactMatch: e.exactMatch as number }));
  const evals = parseEvals(value.evals);
  const compare = (Array.isArray(value.compare) ? value.compare : []).filter(isObject)
    .filter((c) => typeof c.runId === 'string' && typeof c.label === 'string').slice(0, 4)
    .map((c) => ({ runId: c.runId as string, label: c.label as string, evals: parseEvals(c.evals) }));
  const examples = (Array.isArray(value.examples) ? value.examples : []).filter(isObject).filter((x) =>
    typeof x.source === 'string' && typeof x.target === 'string' && typeof x.output === 'string' && typeof x.correct === 'boolean').slice(0, 20)
    .map((x) => ({ source: x.source as string, target: x.target as string, output: x.output as string, correct: x.correct as boolean }));
  return {
    runId: value.runId, fileName: value.fileName, status: value.status as Seq2SeqView['status'], message: optionalString(value.message),
    summary: typeof value.summary === 'string' ? value.summary : '', step: num(value.step), tokensPerSec: num(value.tokensPerSec),
    evals, examples, attention: parseAttention(value.attention),
    sourceGradNorms: Array.isArray(value.sourceGradNorms) ? value.sourceGradNorms.slice(0, MAX_ATTENTION_TOKENS).map(num) : [],
    compare,
    focus: parseFocus(value.focus),
    hasModel: value.hasModel === true,
    runs: (Array.isArray(value.runs) ? value.runs : []).filter(isObject).filter((r) => typeof r.runId === 'string' && typeof r.label === 'string'
      && typeof r.fileName === 'string' && typeof r.status === 'string' && isFiniteNumber(r.step)).slice(0, 20)
      .map((r) => ({
        runId: r.runId as string, label: r.label as string, fileName: r.fileName as string, status: r.status as string, step: r.step as number,
        exactMatch: isFiniteNumber(r.exactMatch) ? r.exactMatch : null, seconds: isFiniteNumber(r.seconds) ? r.seconds : null,
        hasModel: r.hasModel === true, shown: r.shown === true, compared: r.compared === true,
      })),
  };
}

function parseFocus(value: unknown): Seq2SeqView['focus'] {
  if (!isObject(value) || !(value.line === null || isFiniteNumber(value.line)) || typeof value.source !== 'string' || typeof value.output !== 'string') return null;
  return { line: value.line as number | null, source: value.source, target: typeof value.target === 'string' ? value.target : null, output: value.output, attention: parseAttention(value.attention) };
}

function parseAttention(value: unknown): AttentionMap | null {
  if (!isObject(value) || !Array.isArray(value.source) || !Array.isArray(value.output) || !Array.isArray(value.weights)) return null;
  const source = value.source.filter((t): t is string => typeof t === 'string');
  const output = value.output.filter((t): t is string => typeof t === 'string');
  if (source.length !== value.source.length || output.length !== value.output.length || source.length > MAX_ATTENTION_TOKENS || output.length > MAX_ATTENTION_TOKENS) return null;
  if (value.weights.length !== output.length) return null;
  const weights: number[][] = [];
  for (const row of value.weights) {
    if (!Array.isArray(row) || row.length !== source.length || !row.every(isFiniteNumber)) return null;
    weights.push(row as number[]);
  }
  const probs = Array.isArray(value.probs) && value.probs.length === output.length && value.probs.every(isFiniteNumber) ? (value.probs as number[]) : output.map(() => NaN);
  return { source, output, weights, probs };
}

/** A unit search result with only well-formed rows (at most 50), or null. */
function parseUnitSearch(value: unknown): UnitSearchView | null {
  if (!isObject(value) || typeof value.pattern !== 'string' || !isFiniteNumber(value.tokens) || !isFiniteNumber(value.positives) || !Array.isArray(value.units)) return null;
  const units: UnitSearchView['units'] = [];
  for (const u of value.units.slice(0, 50)) {
    if (!isObject(u) || typeof u.name !== 'string' || ![u.layer, u.unit, u.r, u.inside, u.outside].every(isFiniteNumber)) continue;
    units.push({ layer: u.layer as number, name: u.name.slice(0, 12), unit: u.unit as number, r: u.r as number, inside: u.inside as number, outside: u.outside as number });
  }
  return { pattern: value.pattern.slice(0, 200), tokens: value.tokens, positives: value.positives, truncated: value.truncated === true, units };
}

/** Most runs a list shows (the host keeps fewer). */
const MAX_RUNS = 200;

/** A run's settings for the side-by-side view: known fields with plain values only. */
function parseConfigValues(value: unknown): Partial<TrainConfig> {
  if (!isObject(value)) return {};
  const out: Record<string, string | number | boolean> = {};
  for (const f of TRAIN_FIELDS) {
    const v = value[f];
    if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || (typeof v === 'string' && v.length <= 40)) out[f] = v;
  }
  return out as Partial<TrainConfig>;
}

function parseRuns(value: unknown): RunSummary[] {
  if (!Array.isArray(value)) return [];
  const runs: RunSummary[] = [];
  for (const r of value.slice(0, MAX_RUNS)) {
    if (!isObject(r)) continue;
    const run = parseRunInfo(r.run);
    if (!run || !isStatus(r.status)) continue;
    runs.push({
      run, status: r.status, message: optionalString(r.message),
      trainLoss: isFiniteNumber(r.trainLoss) ? r.trainLoss : null,
      bestValLoss: isFiniteNumber(r.bestValLoss) ? r.bestValLoss : null,
      steps: nonNegative(r.steps),
      hasCheckpoint: r.hasCheckpoint === true,
      name: typeof r.name === 'string' ? r.name.slice(0, 80) : null,
      note: typeof r.note === 'string' ? r.note.slice(0, 2000) : null,
      config: parseConfigValues(r.config),
    });
  }
  return runs;
}

function parseSelected(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').slice(0, MAX_SELECTED_RUNS) : [];
}

function parseOverlays(value: unknown): RunOverlay[] {
  if (!Array.isArray(value)) return [];
  const overlays: RunOverlay[] = [];
  for (const o of value.slice(0, MAX_SELECTED_RUNS)) {
    if (!isObject(o) || typeof o.runId !== 'string' || typeof o.label !== 'string') continue;
    overlays.push({
      runId: o.runId, label: o.label.slice(0, 120),
      train: sortedByStep(parsePoints(o.train)), val: sortedByStep(parsePoints(o.val)),
      gradFlow: parseGradFlow(o.gradFlow),
    });
  }
  return overlays;
}

/** The form's starting values: known fields of the right type, defaults for the rest (the form checks ranges). */
function parseForm(value: unknown): FormConfig {
  const form = formOf(DEFAULT_TRAIN_CONFIG);
  if (!isObject(value)) return form;
  for (const k of FORM_FIELDS) {
    const v = value[k];
    if (typeof v === typeof form[k] && (typeof v !== 'number' || Number.isFinite(v))) (form as Record<string, unknown>)[k] = v;
  }
  return form;
}

/** Also used for the state saved with `vscode.setState`, which may come from an older panel. */
export function parseSnapshot(value: unknown): PanelSnapshot | null {
  if (!isObject(value)) return null;
  return {
    run: parseRunInfo(value.run),
    status: isStatus(value.status) ? value.status : null,
    statusMessage: optionalString(value.statusMessage),
    train: sortedByStep(parsePoints(value.train)),
    val: sortedByStep(parsePoints(value.val)),
    charsPerSec: nonNegative(value.charsPerSec),
    sample: optionalString(value.sample),
    gradFlow: parseGradFlow(value.gradFlow),
    trace: parseTrace(value.trace),
    gradHistory: Array.isArray(value.gradHistory)
      ? value.gradHistory.slice(-MAX_HISTORY).map(parseGradFlow).filter((g): g is GradFlow => g !== null)
      : [],
    runs: parseRuns(value.runs),
    selected: parseSelected(value.selected),
    overlays: parseOverlays(value.overlays),
    form: parseForm(value.form),
  };
}

/** Largest trace the panel draws: tokens × units per name. */
const MAX_TRACE_CELLS = 2_000_000;

function parseTrace(value: unknown): TraceView | null {
  if (!isObject(value) || !isFiniteNumber(value.step) || !Array.isArray(value.tokens) || !Array.isArray(value.offsets) || !Array.isArray(value.layers)) return null;
  const tokens = value.tokens.filter((t): t is string => typeof t === 'string');
  if (tokens.length !== value.tokens.length || value.offsets.length !== tokens.length) return null;
  const layers: TraceView['layers'] = [];
  for (const l of value.layers) {
    if (!isObject(l) || !isFiniteNumber(l.units) || l.units < 1 || !isObject(l.values)) return null;
    const units = l.units;
    if (units * tokens.length > MAX_TRACE_CELLS) return null;
    const values: Record<string, Float32Array> = {};
    for (const [name, v] of Object.entries(l.values)) {
      // Binary from the host; a plain array from elsewhere (tests, older state) is taken too.
      const data = v instanceof Float32Array ? v : Array.isArray(v) && v.every((x) => typeof x === 'number') ? Float32Array.from(v as number[]) : null;
      if (!data || data.length !== units * tokens.length) return null;
      values[name] = data;
    }
    layers.push({ units, values });
  }
  const gates = Array.isArray(value.gates) ? value.gates.filter((g): g is string => typeof g === 'string') : [];
  return { step: value.step, tokens, offsets: value.offsets as number[], layers, gates };
}

/** Most gradient-flow measurements a snapshot brings (the host keeps fewer). */
const MAX_HISTORY = 1000;

/** Longest window the panel draws (BPTT lengths are at most 512). */
const MAX_LAGS = 512;

function parseGradFlow(value: unknown): GradFlow | null {
  if (!isObject(value) || !isFiniteNumber(value.step)) return null;
  const norms = (v: unknown): number[] | null =>
    Array.isArray(v) && v.length <= MAX_LAGS && v.every((x) => typeof x === 'number' && x >= 0) ? (v as number[]) : null;
  const h = norms(value.h);
  const c = norms(value.c);
  if (!h || h.length === 0 || !c) return null;
  return { step: value.step, h, c, clipped: value.clipped === true };
}

function parseRunInfo(value: unknown): RunInfo | null {
  if (!isObject(value) || typeof value.runId !== 'string' || typeof value.fileName !== 'string' || typeof value.cell !== 'string') return null;
  const numbers = ['startedAt', 'layers', 'hiddenSize', 'seqLength', 'batchSize', 'learningRate', 'vocabSize', 'trainTokens', 'valTokens'] as const;
  for (const key of numbers) if (!isFiniteNumber(value[key])) return null;
  return {
    runId: value.runId,
    fileName: value.fileName,
    startedAt: value.startedAt as number,
    cell: value.cell.slice(0, 32),
    layers: value.layers as number,
    hiddenSize: value.hiddenSize as number,
    seqLength: value.seqLength as number,
    batchSize: value.batchSize as number,
    learningRate: value.learningRate as number,
    vocabSize: value.vocabSize as number,
    trainTokens: value.trainTokens as number,
    valTokens: value.valTokens as number,
  };
}

/**
 * Keeps only points that can be drawn: a diverged run's NaN/Infinity losses are left out. A point
 * keeps its `seconds` only when they are a time (finite, not negative).
 */
function parsePoints(value: unknown): LossPoint[] {
  if (!Array.isArray(value)) return [];
  const points: LossPoint[] = [];
  for (const p of value) {
    if (!isObject(p) || !isFiniteNumber(p.step) || !isFiniteNumber(p.loss)) continue;
    points.push(isFiniteNumber(p.seconds) && p.seconds >= 0 ? { step: p.step, loss: p.loss, seconds: p.seconds } : { step: p.step, loss: p.loss });
  }
  return points;
}

/** The chart needs strictly increasing steps; a later duplicate wins. */
function sortedByStep(points: LossPoint[]): LossPoint[] {
  let ordered = true;
  for (let i = 1; i < points.length && ordered; i++) ordered = points[i]!.step > points[i - 1]!.step;
  if (ordered) return points;
  const byStep = new Map<number, LossPoint>();
  for (const p of points) byStep.set(p.step, p);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

function isStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && STATUSES.has(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function nonNegative(value: unknown): number {
  return isFiniteNumber(value) && value > 0 ? value : 0;
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
