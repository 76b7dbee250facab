/**
 * The panel's sequence-to-sequence card talking to the host: its form (what a run trains with,
 * bounded by the same settings table as `lstmLab.seq2seq.*`), a source typed to decode, and the
 * card's buttons; with the host's validation of each. No `vscode` import.
 */
import { isObject } from './messages';
import { CELL_TYPES, TOKEN_MODES, type CellName, type TokenChoice } from './runConfig';
import type { Seq2SeqAttention } from './seq2seqMessages';
import { EDITOR_SETTINGS } from './settingsSchema';

/** The card's form: the run's model and how long it trains. */
export interface Seq2SeqForm {
  cell: CellName;
  layers: number;
  hidden: number;
  attention: Seq2SeqAttention;
  bidirectional: boolean;
  tokens: TokenChoice;
  beam: number;
  maxSeconds: number;
}

export const SEQ2SEQ_LAYERS = [1, 2] as const;

/** A kept run as the card's run list shows it. */
export interface Seq2SeqRunRow {
  runId: string;
  label: string;
  fileName: string;
  status: string;
  step: number;
  /** The last held-out exact match and when (seconds of training); null before any evaluation. */
  exactMatch: number | null;
  seconds: number | null;
  hasModel: boolean;
  /** The run the card shows; drawn beside it. */
  shown: boolean;
  compared: boolean;
}

/** Run ids as the host makes them; most runs the card draws beside the shown one. */
export const SEQ2SEQ_RUN_ID = /^s2s-[a-z0-9]{1,16}$/;
export const MAX_SEQ2SEQ_COMPARED = 3;
/** Longest source the card decodes (a line of the file may be longer; the hover reads those). */
export const MAX_TYPED_SOURCE = 500;

export type Seq2SeqPanelMessage =
  /** Train on the active file of pairs with the form's values. */
  | { type: 's2sTrain'; form: Seq2SeqForm }
  /** Decode a typed source with the shown run's model. */
  | { type: 's2sDecode'; source: string }
  /** Continue the shown run's model; train without and then with attention; save the kept model. */
  | { type: 's2sContinue' }
  | { type: 's2sCompare' }
  | { type: 's2sSave' }
  /** The run list: the runs to draw beside the shown one; show a kept run; delete one (the host asks first). */
  | { type: 's2sSelect'; runIds: string[] }
  | { type: 's2sShow'; runId: string }
  | { type: 's2sDelete'; runId: string };

export const SEQ2SEQ_PANEL_TYPES: readonly string[] = ['s2sTrain', 's2sDecode', 's2sContinue', 's2sCompare', 's2sSave', 's2sSelect', 's2sShow', 's2sDelete'];

type Parsed = { ok: true; message: Seq2SeqPanelMessage } | { ok: false; reason: string };

function extraFields(value: Record<string, unknown>, allowed: readonly string[]): string | null {
  const extra = Object.keys(value).filter((k) => k !== 'type' && !allowed.includes(k));
  return extra.length > 0 ? `unexpected fields: ${extra.slice(0, 5).map((k) => k.slice(0, 40)).join(', ')}` : null;
}

/** Why a number is outside the setting `key`'s bounds (or not a whole number), or null. */
function outside(key: 'seq2seq.hiddenSize' | 'seq2seq.beam' | 'seq2seq.maxSeconds', v: unknown, name: string): string | null {
  const { min, max } = EDITOR_SETTINGS[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : `form.${name} must be a whole number from ${min} to ${max}`;
}

/** A form with exactly the known fields, each within its setting's bounds. */
export function parseSeq2SeqForm(v: unknown): { ok: true; form: Seq2SeqForm } | { ok: false; reason: string } {
  if (!isObject(v)) return { ok: false, reason: 'form must be an object' };
  const fields = ['cell', 'layers', 'hidden', 'attention', 'bidirectional', 'tokens', 'beam', 'maxSeconds'];
  const missing = fields.filter((k) => !(k in v));
  if (missing.length > 0) return { ok: false, reason: `form lacks ${missing.join(', ')}` };
  const extra = extraFields({ ...v, type: '' }, fields);
  if (extra) return { ok: false, reason: `form has ${extra}` };
  if (!(CELL_TYPES as readonly unknown[]).includes(v.cell)) return { ok: false, reason: `form.cell must be one of ${CELL_TYPES.join(', ')}` };
  if (!(SEQ2SEQ_LAYERS as readonly unknown[]).includes(v.layers)) return { ok: false, reason: 'form.layers must be 1 or 2' };
  const hidden = outside('seq2seq.hiddenSize', v.hidden, 'hidden') ?? ((v.hidden as number) % 8 === 0 ? null : 'form.hidden must be a multiple of 8');
  if (hidden) return { ok: false, reason: hidden };
  if (!(EDITOR_SETTINGS['seq2seq.attention'].choices as readonly unknown[]).includes(v.attention)) return { ok: false, reason: `form.attention must be one of ${EDITOR_SETTINGS['seq2seq.attention'].choices.join(', ')}` };
  if (typeof v.bidirectional !== 'boolean') return { ok: false, reason: 'form.bidirectional must be true or false' };
  if (!(TOKEN_MODES as readonly unknown[]).includes(v.tokens)) return { ok: false, reason: `form.tokens must be one of ${TOKEN_MODES.join(', ')}` };
  const bounds = outside('seq2seq.beam', v.beam, 'beam') ?? outside('seq2seq.maxSeconds', v.maxSeconds, 'maxSeconds');
  if (bounds) return { ok: false, reason: bounds };
  return { ok: true, form: v as unknown as Seq2SeqForm };
}

/** Parses a message of the card (`value.type` is one of SEQ2SEQ_PANEL_TYPES). */
export function parseSeq2SeqPanelMessage(value: Record<string, unknown>): Parsed {
  switch (value.type) {
    case 's2sTrain': {
      const bad = extraFields(value, ['form']);
      if (bad) return { ok: false, reason: bad };
      const f = parseSeq2SeqForm(value.form);
      return f.ok ? { ok: true, message: { type: 's2sTrain', form: f.form } } : f;
    }
    case 's2sDecode': {
      const bad = extraFields(value, ['source']);
      if (bad) return { ok: false, reason: bad };
      const s = value.source;
      if (typeof s !== 'string' || s.trim() === '' || s.length > MAX_TYPED_SOURCE || /[\t\r\n]/.test(s)) {
        return { ok: false, reason: `source must be one line of 1 to ${MAX_TYPED_SOURCE} characters without tabs` };
      }
      return { ok: true, message: { type: 's2sDecode', source: s } };
    }
    case 's2sSelect': {
      const bad = extraFields(value, ['runIds']);
      if (bad) return { ok: false, reason: bad };
      const ids = value.runIds;
      if (!Array.isArray(ids) || ids.length > MAX_SEQ2SEQ_COMPARED || !ids.every((id) => typeof id === 'string' && SEQ2SEQ_RUN_ID.test(id))) {
        return { ok: false, reason: `runIds must be at most ${MAX_SEQ2SEQ_COMPARED} run ids` };
      }
      return { ok: true, message: { type: 's2sSelect', runIds: [...new Set(ids as string[])] } };
    }
    case 's2sShow':
    case 's2sDelete': {
      const bad = extraFields(value, ['runId']);
      if (bad) return { ok: false, reason: bad };
      if (typeof value.runId !== 'string' || !SEQ2SEQ_RUN_ID.test(value.runId)) return { ok: false, reason: 'runId is not a run id' };
      return { ok: true, message: { type: value.type, runId: value.runId } };
    }
    case 's2sContinue':
    case 's2sCompare':
    case 's2sSave': {
      const bad = extraFields(value, []);
      return bad ? { ok: false, reason: bad } : { ok: true, message: { type: value.type } };
    }
    default:
      return { ok: false, reason: 'not a message of the sequence-to-sequence card' };
  }
}
