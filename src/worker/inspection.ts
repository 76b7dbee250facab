/**
 * The engine's read-only requests: next-token predictions, gate traces, hovers and overlay values
 * on mirrored documents (read on from kept states), unit search, surprisal and samples. All are
 * answered by the current model in ModelSlot; none changes a weight.
 */
import type { DocumentStates } from '../engine/docStates';
import { inspectSpan, type StateAdvance } from '../engine/spanInspect';
import { nextDistribution, sampleIds, saturation, surprisal, topK, traceSpan, type LayerTraceData } from '../engine/infer';
import type { SequenceModel } from '../engine/model';
import { UNKNOWN_ID } from '../engine/tokens';
import type { DocSpan, HoverRequest, HoverResult, PredictRequest, PredictResult, SampleRequest, SampleResult, SpanRequest, SpanValues, SurprisalRequest, SurprisalResult, TraceRequest, TraceResult, UnitScore, UnitSearchRequest, UnitSearchResult } from '../protocol/inspectionMessages';
import type { MirroredDocuments } from './documents';
import type { ModelSlot, TrainedModel } from './modelSlot';
import type { StateReaders } from './stateReaders';

/** Characters of context a prediction reads. */
export const PREDICT_CONTEXT = 256;
/** Most tokens one trace or surprisal request covers. */
export const MAX_INSPECT_TOKENS = 20_000;
/** Most values one trace may hold (tokens × units × traced names × layers): 64 MB of floats. */
export const MAX_TRACE_VALUES = 16_000_000;
/** Longest stretch (UTF-16 units) one overlay request reads. */
export const MAX_SPAN_UNITS = 60_000;

export class Inspection {
  constructor(private readonly slot: ModelSlot, private readonly docs: MirroredDocuments, private readonly readers?: StateReaders) {}

  predict(req: PredictRequest): PredictResult {
    const latest = this.slot.current;
    const chars = [...req.context];
    const context = chars.slice(Math.max(0, chars.length - PREDICT_CONTEXT)).join('');
    const { vocab } = latest.codec;
    const p = nextDistribution(latest.model, latest.codec.encode(context));
    const k = Math.max(1, Math.min(req.topK, 20));
    const top = topK(p, k).map((r) => ({ token: vocab.tokens[r.id], p: r.p }));
    let actual: PredictResult['actual'] = null;
    if (req.next !== null && req.next !== '') {
      const id = vocab.idOf(req.next);
      const prob = p[id];
      actual = { token: req.next, p: prob, surprisalBits: -Math.log2(Math.max(prob, 1e-30)), known: id !== UNKNOWN_ID };
    }
    return { runId: latest.runId, top, actual, contextChars: [...context].length, gates: this.gateMeans(latest, context), weightsStep: latest.progress.step };
  }

  /** Each layer's sigmoid gates at the last token of `context`, averaged over the units. */
  private gateMeans(latest: TrainedModel, context: string): Record<string, number>[] {
    const ids = latest.codec.encode(context);
    if (ids.length === 0) return [];
    return gateMeansAt(traceSpan(latest.model, ids), latest.model.cell.sigmoidGates, ids.length - 1);
  }

  private tokenized(text: string) {
    const latest = this.slot.current;
    const t = latest.codec.tokenize(text);
    if (t.tokens.length > MAX_INSPECT_TOKENS) throw new Error(`at most ${MAX_INSPECT_TOKENS} tokens can be inspected at once, got ${t.tokens.length}`);
    return { latest, ...t, ids: Int32Array.from(t.tokens, (tok) => latest.codec.vocab.idOf(tok)) };
  }

  trace(req: TraceRequest): TraceResult {
    if (req.doc) return this.traceDoc(req.doc);
    const { latest, tokens, offsets, ids } = this.tokenized(req.text);
    const { shape, cell } = latest.model;
    const values = ids.length * shape.hiddenSize * shape.layers * (cell.gateNames.length + 2);
    if (values > MAX_TRACE_VALUES) throw new Error(`a trace of ${ids.length} tokens would hold ${values} values (at most ${MAX_TRACE_VALUES}); inspect a shorter span`);
    const layers = ids.length > 0 ? traceSpan(latest.model, ids) : [];
    const gates = latest.model.cell.sigmoidGates;
    return {
      runId: latest.runId, tokens, offsets,
      layers: layers.map((l) => ({ units: l.units, values: l.values })),
      saturation: layers.map((l) => Object.fromEntries(gates.map((g) => [g, saturation(l, g)]))),
    };
  }

  /** A trace of a stretch of a mirrored document, read on from its kept states; offsets from `span.start`. */
  private traceDoc(span: DocSpan): TraceResult {
    const { latest, doc, reader } = this.document(span.key);
    const { shape, cell } = latest.model;
    const units = Math.max(0, span.end - span.start);
    const values = units * shape.hiddenSize * shape.layers * (cell.gateNames.length + 2);
    if (values > MAX_TRACE_VALUES) throw new Error(`a trace of ${units} characters could hold ${values} values (at most ${MAX_TRACE_VALUES}); inspect a shorter span`);
    const r = inspectSpan(latest.model, latest.codec, doc, span.start, span.end, { trace: true }, reader);
    const layers = r.trace ?? [];
    const gates = cell.sigmoidGates;
    return {
      runId: latest.runId, tokens: r.tokens, offsets: r.offsets.map((o) => o - span.start),
      layers: layers.map((l) => ({ units: l.units, values: l.values })),
      saturation: layers.map((l) => Object.fromEntries(gates.map((g) => [g, saturation(l, g)]))),
    };
  }

  hover(req: HoverRequest): HoverResult {
    const { latest, doc, reader } = this.document(req.key);
    if (!(req.offset >= 0 && req.offset < doc.text.length)) throw new Error(`offset ${req.offset} is outside the document`);
    const gates = latest.model.cell.sigmoidGates;
    const r = inspectSpan(latest.model, latest.codec, doc, req.offset, req.offset, { next: true, trace: gates.length > 0 }, reader);
    const { vocab } = latest.codec;
    const p = r.next!;
    const k = Math.max(1, Math.min(req.topK, 20));
    const top = topK(p, k).map((t) => ({ token: vocab.tokens[t.id], p: t.p }));
    const f = r.following;
    const actual = f ? { token: f.token, p: p[f.id], surprisalBits: -Math.log2(Math.max(p[f.id], 1e-30)), known: f.id !== UNKNOWN_ID } : null;
    return {
      runId: latest.runId, mode: latest.codec.mode, token: r.tokens[0], start: r.offsets[0], end: r.offsets[0] + r.tokens[0].length,
      known: r.ids[0] !== UNKNOWN_ID, top, actual, gates: gateMeansAt(r.trace ?? [], gates, 0), steps: r.steps, cached: r.cached,
      weightsStep: latest.progress.step,
    };
  }

  span(req: SpanRequest): SpanValues {
    const { latest, doc, reader } = this.document(req.key);
    if (req.end - req.start > MAX_SPAN_UNITS) throw new Error(`at most ${MAX_SPAN_UNITS} characters can be painted at once, asked for ${req.end - req.start}`);
    if (req.unit) checkUnit(latest.model, req.unit);
    const r = inspectSpan(latest.model, latest.codec, doc, req.start, req.end, { surprisal: req.surprisal, unit: req.unit }, reader);
    return {
      runId: latest.runId, starts: r.offsets, ends: Int32Array.from(r.tokens, (t, i) => r.offsets[i] + t.length),
      bits: r.bits, unit: r.unit, steps: r.steps,
    };
  }

  /** Correlates every unit (each layer, gate, c and h) with the match mask over the tokens read. */
  unitSearch(req: UnitSearchRequest): UnitSearchResult {
    const { latest, doc, reader } = this.document(req.key);
    const { shape, cell } = latest.model;
    const perToken = shape.hiddenSize * shape.layers * (cell.gateNames.length + 2);
    const limit = Math.min(MAX_INSPECT_TOKENS, Math.floor(MAX_TRACE_VALUES / perToken));
    // The stretch that holds `limit` tokens (word tokens are several characters each).
    const ahead = latest.codec.tokenize(doc.text.slice(req.start, Math.min(req.end, req.start + limit * (latest.codec.mode === 'word' ? 32 : 2))));
    const end = ahead.tokens.length > limit ? req.start + ahead.offsets[limit] : Math.min(req.end, req.start + (ahead.tokens.length ? ahead.offsets[ahead.tokens.length - 1] + ahead.tokens[ahead.tokens.length - 1].length : 0));
    const r = inspectSpan(latest.model, latest.codec, doc, req.start, end, { trace: true }, reader);
    const n = r.tokens.length;
    const mask = new Uint8Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      const s = r.offsets[i];
      const e = s + r.tokens[i].length;
      while (m < req.matches.length && req.matches[m].end <= s) m++;
      if (m < req.matches.length && req.matches[m].start < e) mask[i] = 1;
    }
    const positives = mask.reduce((a, b) => a + b, 0);
    const scores: UnitScore[] = [];
    if (positives > 0 && positives < n) {
      (r.trace ?? []).forEach((layer, l) => {
        for (const [name, values] of Object.entries(layer.values)) {
          for (let u = 0; u < layer.units; u++) scores.push({ layer: l, name, unit: u, ...correlate(values, layer.units, u, mask, positives) });
        }
      });
    }
    scores.sort((a, b) => Math.abs(b.r) - Math.abs(a.r) || a.layer - b.layer || a.unit - b.unit);
    const top = Math.max(1, Math.min(req.top, 50));
    return { runId: latest.runId, tokens: n, positives, end: n > 0 ? r.offsets[n - 1] + r.tokens[n - 1].length : req.start, units: scores.slice(0, top) };
  }

  surprisal(req: SurprisalRequest): SurprisalResult {
    const { latest, tokens, offsets, ids } = this.tokenized(req.text);
    return { runId: latest.runId, tokens, offsets, bits: surprisal(latest.model, ids) };
  }

  sample(req: SampleRequest): SampleResult {
    const latest = this.slot.current;
    const length = Math.min(Math.max(Math.floor(req.length), 1), 2000);
    const temperature = Math.min(Math.max(req.temperature, 0.05), 5);
    // The prime's last tokens carry the context; an empty prime starts from a random token.
    const prime = req.prime ? latest.codec.encode([...req.prime].slice(-PREDICT_CONTEXT).join('')) : undefined;
    const ids = sampleIds(latest.model, latest.codec.vocab, { length, temperature, seed: req.seed, prime });
    return { runId: latest.runId, text: latest.codec.decode(ids) };
  }

  /** A mirrored document, with its kept states made valid for the current model. */
  private document(key: string): { latest: TrainedModel; doc: DocumentStates; reader: StateAdvance | undefined } {
    const latest = this.slot.current;
    const doc = this.docs.get(key);
    const version = this.slot.version;
    doc.useModel(version);
    return { latest, doc, reader: this.readers?.readerFor(latest.model, version) };
  }
}

/** Each sigmoid gate's mean over the units at token `t` of every layer's trace. */
function gateMeansAt(layers: LayerTraceData[], gates: readonly string[], t: number): Record<string, number>[] {
  if (gates.length === 0) return [];
  return layers.map((layer) => Object.fromEntries(gates.map((g) => {
    const v = layer.values[g].subarray(t * layer.units, (t + 1) * layer.units);
    return [g, v.reduce((a, b) => a + b, 0) / layer.units];
  })));
}

function checkUnit(model: SequenceModel, u: { layer: number; name: string; unit: number }): void {
  const names = [...model.cell.gateNames, ...(model.cell.hasCellState ? ['c'] : []), 'h'];
  if (!Number.isInteger(u.layer) || u.layer < 0 || u.layer >= model.shape.layers) throw new Error(`layer ${u.layer + 1} does not exist (the model has ${model.shape.layers})`);
  if (!names.includes(u.name)) throw new Error(`"${u.name}" is not traced by this cell (${names.join(', ')})`);
  if (!Number.isInteger(u.unit) || u.unit < 0 || u.unit >= model.shape.hiddenSize) throw new Error(`unit ${u.unit} does not exist (the layer has ${model.shape.hiddenSize})`);
}

/** Pearson correlation of column `u` of a [tokens × units] array with a 0/1 mask, and the means on either side. */
export function correlate(values: Float32Array, units: number, u: number, mask: Uint8Array, positives: number): { r: number; inside: number; outside: number } {
  const n = mask.length;
  let sumIn = 0;
  let sum = 0;
  let sumSq = 0;
  for (let t = 0; t < n; t++) {
    const x = values[t * units + u];
    sum += x;
    sumSq += x * x;
    if (mask[t]) sumIn += x;
  }
  const mean = sum / n;
  const p = positives / n;
  const varX = sumSq / n - mean * mean;
  const cov = sumIn / n - mean * p;
  const r = varX > 1e-12 ? cov / Math.sqrt(varX * p * (1 - p)) : 0;
  return { r: Math.max(-1, Math.min(1, r)), inside: sumIn / positives, outside: (sum - sumIn) / (n - positives) };
}
