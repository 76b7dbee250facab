/**
 * The door between the extension host and the panel webview.
 * The host validates every message coming from the webview with `parseWebviewMessage`.
 */
import { isObject } from './messages';

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
export interface TraceView {
  /** Training step of the model that produced it. */
  step: number;
  /** The tokens of the span, in order. */
  tokens: string[];
  /** UTF-16 offset of each token in the document. */
  offsets: number[];
  /** Per layer: [tokens × units] row-major values by name (gates, then c and h). */
  layers: { units: number; values: Record<string, number[]> }[];
  /** Names that are gates in (0, 1); the others are signed. */
  gates: string[];
}

export type RunStatus = 'running' | 'completed' | 'stopped' | 'diverged' | 'failed';

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
}

export type HostToWebview =
  | { type: 'snapshot'; state: PanelSnapshot }
  | { type: 'metrics'; runId: string; train: LossPoint[]; val: LossPoint[]; charsPerSec: number }
  | { type: 'sample'; runId: string; step: number; text: string }
  | { type: 'status'; runId: string; status: RunStatus; message: string | null }
  | { type: 'gradFlow'; runId: string; gradFlow: GradFlow }
  | { type: 'trace'; runId: string; trace: TraceView };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'stop' }
  | { type: 'train' }
  | { type: 'sample'; temperature: number }
  | { type: 'export'; format: 'csv' | 'json' }
  | { type: 'reveal'; offset: number };

const NO_PAYLOAD = new Set(['ready', 'stop', 'train']);

/** Sampling temperatures the panel may ask for. */
export const TEMPERATURE_RANGE = { min: 0.1, max: 2 } as const;

/** Returns the message if it is well-formed, otherwise a reason why not. */
export function parseWebviewMessage(value: unknown): { ok: true; message: WebviewToHost } | { ok: false; reason: string } {
  if (!isObject(value)) return { ok: false, reason: 'not an object' };
  const type = value.type;
  if (typeof type !== 'string') return { ok: false, reason: 'missing type' };
  if (type === 'sample') {
    const extra = Object.keys(value).filter((k) => k !== 'type' && k !== 'temperature');
    if (extra.length > 0) return { ok: false, reason: `unexpected fields: ${extra.slice(0, 5).join(', ')}` };
    const t = value.temperature;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < TEMPERATURE_RANGE.min || t > TEMPERATURE_RANGE.max) {
      return { ok: false, reason: `temperature must be a number from ${TEMPERATURE_RANGE.min} to ${TEMPERATURE_RANGE.max}` };
    }
    return { ok: true, message: { type: 'sample', temperature: t } };
  }
  if (type === 'reveal') {
    const extra = Object.keys(value).filter((k) => k !== 'type' && k !== 'offset');
    if (extra.length > 0) return { ok: false, reason: `unexpected fields: ${extra.slice(0, 5).join(', ')}` };
    const o = value.offset;
    if (typeof o !== 'number' || !Number.isInteger(o) || o < 0 || o > 1e9) return { ok: false, reason: 'offset must be a whole number ≥ 0' };
    return { ok: true, message: { type: 'reveal', offset: o } };
  }
  if (type === 'export') {
    const extra = Object.keys(value).filter((k) => k !== 'type' && k !== 'format');
    if (extra.length > 0) return { ok: false, reason: `unexpected fields: ${extra.slice(0, 5).join(', ')}` };
    if (value.format !== 'csv' && value.format !== 'json') return { ok: false, reason: 'format must be csv or json' };
    return { ok: true, message: { type: 'export', format: value.format } };
  }
  if (!NO_PAYLOAD.has(type)) return { ok: false, reason: `unknown type ${JSON.stringify(type).slice(0, 40)}` };
  const extra = Object.keys(value).filter((k) => k !== 'type');
  if (extra.length > 0) return { ok: false, reason: `unexpected fields: ${extra.slice(0, 5).join(', ')}` };
  return { ok: true, message: { type } as WebviewToHost };
}

export function emptySnapshot(): PanelSnapshot {
  return { run: null, status: null, statusMessage: null, train: [], val: [], charsPerSec: 0, sample: null, gradFlow: null, gradHistory: [], trace: null };
}

/** Gradient-flow measurements kept for the heatmap over training, on both sides. */
export const MAX_GRAD_HISTORY = 400;

/** Beyond `max` entries, the oldest half is thinned to every other entry: long runs keep their start. */
export function thinned<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const half = Math.floor(items.length / 2);
  return items.slice(0, half).filter((_, i) => i % 2 === 0).concat(items.slice(half));
}
