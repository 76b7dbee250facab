/**
 * The engine behind the worker door: handles one message at a time and reports through `post`.
 * Kept free of worker_threads so that tests can drive it directly.
 */
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint, saveCheckpoint } from '../engine/checkpoint';
import type { Codec } from '../engine/codec';
import { DocumentStates, inspectSpan } from '../engine/docStates';
import { nextDistribution, sampleIds, saturation, surprisal, topK, traceSpan, type LayerTraceData } from '../engine/infer';
import type { SequenceModel } from '../engine/model';
import { startTrainer, type ShardSetup } from '../engine/parallel/startTrainer';
import { resumeRun } from '../engine/resume';
import { prepareRun, trainLoop, type PreparedRun } from '../engine/run';
import { captureCheckpoint, configOf, restoreRun, type RunMetrics } from '../engine/snapshot';
import type { Trainer } from '../engine/trainer';
import { UNKNOWN_ID } from '../engine/tokens';
import { errorMessage, type Reply } from '../protocol/messages';
import type { DocEditRequest, DocOpenRequest, DocSpan, EngineStats, HostToWorker, HoverRequest, HoverResult, LoadRequest, LoadResult, PredictRequest, PredictResult, SampleRequest, SampleResult, SaveRequest, SaveResult, SpanRequest, SpanValues, StepPoint, SurprisalRequest, SurprisalResult, TraceRequest, TraceResult, TrainAccepted, TrainRequest, UnitScore, UnitSearchRequest, UnitSearchResult, WorkerToHost } from '../protocol/workerProtocol';
import type { TrainConfig } from '../protocol/runConfig';

/** How often step points are flushed to the host. */
const FLUSH_MS = 150;
/** Characters of context a prediction reads. */
export const PREDICT_CONTEXT = 256;
/** Most tokens one trace or surprisal request covers. */
export const MAX_INSPECT_TOKENS = 20_000;
/** Most values one trace may hold (tokens × units × traced names × layers): 64 MB of floats. */
export const MAX_TRACE_VALUES = 16_000_000;
/** Documents mirrored at once (the least recently opened goes first). */
export const MAX_DOCUMENTS = 8;
/** Longest stretch (UTF-16 units) one overlay request reads. */
export const MAX_SPAN_UNITS = 60_000;

interface TrainedModel {
  runId: string;
  model: SequenceModel;
  codec: Codec;
  config: TrainConfig;
  progress: RunProgress;
}

/** What a run has learned so far, as a checkpoint records it. */
interface RunProgress {
  trainer: Trainer | undefined;
  step: number;
  metrics: RunMetrics;
  bestValLoss: number | null;
}

/** A save asked for while training: done between two steps, when the weights are still. */
interface PendingSave {
  path: string;
  done: (error: unknown) => void;
}

/** A resumed or fresh run, ready to train. */
interface StartedRun {
  run: PreparedRun;
  trainer?: Trainer;
  step: number;
  metrics: RunMetrics;
  bestValLoss: number | null;
  notes: string[];
}

export class EngineService {
  private running: { runId: string; stop: boolean; progress?: RunProgress; saves: PendingSave[] } | undefined;
  private latest: TrainedModel | undefined;
  /** Counts model replacements, so that kept document states never outlive their model. */
  private modelSerial = 0;
  private readonly docs = new Map<string, DocumentStates>();

  constructor(
    private readonly post: (message: WorkerToHost) => void,
    private readonly backendName: () => Promise<string>,
    private readonly shards: ShardSetup,
  ) {}

  async handle(message: HostToWorker): Promise<void> {
    try {
      switch (message.type) {
        case 'train':
          this.reply(message.id, await this.train(message));
          break;
        case 'stop':
          if (this.running) this.running.stop = true;
          this.reply(message.id, { wasRunning: Boolean(this.running) });
          break;
        case 'predict':
          this.reply(message.id, this.predict(message));
          break;
        case 'trace':
          this.reply(message.id, this.trace(message));
          break;
        case 'surprisal':
          this.reply(message.id, this.surprisal(message));
          break;
        case 'sample':
          this.reply(message.id, this.sample(message));
          break;
        case 'save':
          this.reply(message.id, await this.save(message));
          break;
        case 'load':
          this.reply(message.id, await this.load(message));
          break;
        case 'docOpen':
          this.reply(message.id, this.docOpen(message));
          break;
        case 'docEdit':
          this.reply(message.id, this.docEdit(message));
          break;
        case 'docClose':
          this.reply(message.id, { closed: this.docs.delete(message.key) });
          break;
        case 'hover':
          this.reply(message.id, this.hover(message));
          break;
        case 'span':
          this.reply(message.id, this.span(message));
          break;
        case 'unitSearch':
          this.reply(message.id, this.unitSearch(message));
          break;
        case 'stats': {
          const { numTensors, numBytes } = tf.memory();
          const { heapUsed, external, arrayBuffers } = process.memoryUsage();
          this.reply(message.id, { numTensors, numBytes, heapUsed, external, arrayBuffers } satisfies EngineStats);
          break;
        }
        default:
          throw new Error(`unknown request ${JSON.stringify((message as { type?: unknown }).type)}`);
      }
    } catch (e) {
      const id = (message as { id?: unknown }).id;
      this.post({ type: 'reply', id: typeof id === 'number' ? id : -1, ok: false, error: errorMessage(e) } satisfies Reply);
    }
  }

  get isTraining(): boolean {
    return this.running !== undefined;
  }

  private reply(id: number, result: unknown): void {
    this.post({ type: 'reply', id, ok: true, result });
  }

  private async train(req: TrainRequest): Promise<TrainAccepted> {
    if (this.running) throw new Error('a training run is already in progress');
    // Claimed before the first await, so that a stop or a second train sent meanwhile sees it.
    this.running = { runId: req.runId, stop: false, saves: [] };
    let backend: string;
    let started: StartedRun;
    try {
      backend = await this.backendName();
      if (req.resumeFrom) {
        started = await resumeRun(await loadCheckpoint(req.resumeFrom), req.text, req.config);
      } else {
        const run = prepareRun(req.text, req.config);
        started = { run, step: 0, metrics: { train: [], val: [] }, bestValLoss: null, notes: run.notes };
      }
    } catch (e) {
      this.running = undefined;
      throw e;
    }
    const { run } = started;
    const accepted: TrainAccepted = {
      runId: req.runId, batchSize: run.batch, seqLength: run.steps, notes: started.notes,
      vocabSize: run.codec.vocab.size, trainTokens: run.train.length, valTokens: run.val.length,
      parameters: run.model.parameterCount, backend, startStep: started.step,
    };
    // Train after replying, so that the host learns the run started before its first steps.
    setImmediate(() => void this.loop(req, started));
    return accepted;
  }

  private async loop(req: TrainRequest, started: StartedRun): Promise<void> {
    const { runId, config } = req;
    const { run } = started;
    const control = this.running!;
    const progress: RunProgress = { trainer: undefined, step: started.step, metrics: started.metrics, bestValLoss: started.bestValLoss };
    control.progress = progress;
    let pending: StepPoint[] = [];
    let lastFlush = performance.now();
    let lastSave = performance.now();
    let charsPerSec = 0;
    let elapsedMs = 0;
    const flush = () => {
      if (pending.length === 0) return;
      this.post({ type: 'steps', runId, points: pending, charsPerSec, elapsedMs });
      pending = [];
      lastFlush = performance.now();
    };
    const autosave = async () => {
      if (!req.checkpointPath) return;
      lastSave = performance.now();
      try {
        await this.write(req.checkpointPath, run, config, progress);
        this.post({ type: 'checkpoint', runId, step: progress.step, path: req.checkpointPath });
      } catch (e) {
        this.post({ type: 'log', level: 'warn', message: `Run ${runId}: the checkpoint could not be written: ${errorMessage(e)}` });
      }
    };
    // The model serves predictions from its first step on.
    this.adopt({ runId, model: run.model, codec: run.codec, config, progress });
    let trainer: Trainer | undefined;
    try {
      trainer = await startTrainer(run, config, this.shards, started.trainer);
      progress.trainer = trainer;
      const { trainer: _, ...summary } = await trainLoop(run, config, {
        onStep: (s) => {
          progress.step = s.step;
          progress.metrics.train.push({ step: s.step, loss: s.loss });
          pending.push({ step: s.step, loss: s.loss, gradNorm: s.gradNorm, seconds: Math.round(s.elapsedMs) / 1000 });
          charsPerSec = s.charsPerSec;
          elapsedMs = s.elapsedMs;
          if (performance.now() - lastFlush >= FLUSH_MS) flush();
        },
        onVal: (step, loss) => {
          progress.metrics.val.push({ step, loss });
          if (progress.bestValLoss === null || loss < progress.bestValLoss) progress.bestValLoss = loss;
          flush();
          // Validation follows a step: it is placed at that step's time, so both align on either axis.
          this.post({ type: 'val', runId, step, loss, seconds: Math.round(elapsedMs) / 1000 });
        },
        onSample: (step, text) => this.post({ type: 'sample', runId, step, text }),
        onGradByLag: (step, g, clipped) => this.post({ type: 'gradByLag', runId, step, h: g.h, c: g.c, hTotal: g.hTotal, clipped }),
        shouldStop: () => control.stop,
        pause: async () => {
          await new Promise((resolve) => setImmediate(resolve));
          await this.savePending(control.saves, run, config, progress);
          if (req.checkpointEveryMs && performance.now() - lastSave >= req.checkpointEveryMs) await autosave();
        },
      }, { trainer, step: started.step });
      flush();
      // A step that stopped the run (a loss jump) changed the weights without an onStep: states kept since are stale.
      this.modelSerial++;
      // A run stopped for a loss jump has applied that step: its last periodic checkpoint is the good one.
      if (summary.steps > started.step && summary.reason !== 'diverged') await autosave();
      this.post({ type: 'done', runId, ...summary });
    } catch (e) {
      flush();
      this.post({ type: 'done', runId, reason: 'failed', steps: progress.step, trainLoss: null, valLoss: null, charsPerSec: 0, message: errorMessage(e) });
    } finally {
      // Saves asked for while the last ones were written are answered too.
      while (control.saves.length > 0) await this.savePending(control.saves, run, config, progress);
      // Also ends any shard workers of a data-parallel run.
      trainer?.dispose();
      progress.trainer = undefined;
      this.running = undefined;
    }
  }

  /** Makes `next` the model that answers predictions, disposing the one it replaces. */
  private adopt(next: TrainedModel): void {
    const previous = this.latest;
    this.latest = next;
    this.modelSerial++;
    // Kept states belong to the model that read them (their memory goes now, not at the next look).
    for (const doc of this.docs.values()) doc.clear();
    if (previous && previous.model !== next.model) previous.model.dispose();
  }

  private async write(path: string, run: Pick<PreparedRun, 'model' | 'codec'>, config: TrainConfig, p: RunProgress): Promise<void> {
    const ckpt = await captureCheckpoint({ model: run.model, codec: run.codec, config, trainer: p.trainer, step: p.step, metrics: p.metrics, bestValLoss: p.bestValLoss });
    await saveCheckpoint(path, ckpt);
  }

  private async savePending(saves: PendingSave[], run: PreparedRun, config: TrainConfig, p: RunProgress): Promise<void> {
    for (const s of saves.splice(0)) {
      try {
        await this.write(s.path, run, config, p);
        s.done(null);
      } catch (e) {
        s.done(e);
      }
    }
  }

  private async save(req: SaveRequest): Promise<SaveResult> {
    const running = this.running;
    const latest = this.trained();
    if (running?.progress && running.runId === latest.runId) {
      const step = await new Promise<number>((resolve, reject) => {
        running.saves.push({ path: req.path, done: (e) => (e ? reject(e) : resolve(running.progress!.step)) });
      });
      return { runId: latest.runId, step, path: req.path };
    }
    // Between runs the optimizer is gone: the checkpoint holds the weights, enough to load and sample.
    await this.write(req.path, latest, latest.config, { ...latest.progress, trainer: undefined });
    return { runId: latest.runId, step: latest.progress.step, path: req.path };
  }

  private async load(req: LoadRequest): Promise<LoadResult> {
    if (this.running) throw new Error('a training run is in progress; stop it before loading a checkpoint');
    await this.backendName();
    const ckpt = await loadCheckpoint(req.path);
    const config = configOf(ckpt);
    const restored = await restoreRun(ckpt, config);
    // A run may have started while the file was read: it keeps the model.
    if (this.running) {
      restored.model.dispose();
      throw new Error('a training run started; the checkpoint was not loaded');
    }
    const progress = { trainer: undefined, step: restored.step, metrics: restored.metrics, bestValLoss: restored.bestValLoss };
    this.adopt({ runId: req.runId, model: restored.model, codec: restored.codec, config, progress });
    return {
      runId: req.runId, config, step: restored.step, vocabSize: restored.codec.vocab.size,
      train: restored.metrics.train, val: restored.metrics.val, bestValLoss: restored.bestValLoss,
    };
  }

  private predict(req: PredictRequest): PredictResult {
    const latest = this.trained();
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
    return { runId: latest.runId, top, actual, contextChars: [...context].length, gates: this.gateMeans(latest, context) };
  }

  /** Each layer's sigmoid gates at the last token of `context`, averaged over the units. */
  private gateMeans(latest: TrainedModel, context: string): Record<string, number>[] {
    const ids = latest.codec.encode(context);
    if (ids.length === 0) return [];
    return gateMeansAt(traceSpan(latest.model, ids), latest.model.cell.sigmoidGates, ids.length - 1);
  }

  private trained(): TrainedModel {
    if (!this.latest) throw new Error('no trained model yet');
    return this.latest;
  }

  private tokenized(text: string) {
    const latest = this.trained();
    const t = latest.codec.tokenize(text);
    if (t.tokens.length > MAX_INSPECT_TOKENS) throw new Error(`at most ${MAX_INSPECT_TOKENS} tokens can be inspected at once, got ${t.tokens.length}`);
    return { latest, ...t, ids: Int32Array.from(t.tokens, (tok) => latest.codec.vocab.idOf(tok)) };
  }

  private trace(req: TraceRequest): TraceResult {
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
    const { latest, doc } = this.document(span.key);
    const { shape, cell } = latest.model;
    const units = Math.max(0, span.end - span.start);
    const values = units * shape.hiddenSize * shape.layers * (cell.gateNames.length + 2);
    if (values > MAX_TRACE_VALUES) throw new Error(`a trace of ${units} characters could hold ${values} values (at most ${MAX_TRACE_VALUES}); inspect a shorter span`);
    const r = inspectSpan(latest.model, latest.codec, doc, span.start, span.end, { trace: true });
    const layers = r.trace ?? [];
    const gates = cell.sigmoidGates;
    return {
      runId: latest.runId, tokens: r.tokens, offsets: r.offsets.map((o) => o - span.start),
      layers: layers.map((l) => ({ units: l.units, values: l.values })),
      saturation: layers.map((l) => Object.fromEntries(gates.map((g) => [g, saturation(l, g)]))),
    };
  }

  private docOpen(req: DocOpenRequest): { length: number } {
    if (typeof req.key !== 'string' || typeof req.text !== 'string') throw new Error('docOpen needs a key and a text');
    this.docs.delete(req.key);
    if (this.docs.size >= MAX_DOCUMENTS) this.docs.delete(this.docs.keys().next().value!);
    this.docs.set(req.key, new DocumentStates(req.text));
    return { length: req.text.length };
  }

  private docEdit(req: DocEditRequest): { length: number } {
    const doc = this.docs.get(req.key);
    if (!doc) throw new Error(`unknown document ${req.key}`);
    try {
      doc.editMany(req.changes);
      if (doc.text.length !== req.length) throw new Error(`the copy has ${doc.text.length} characters, the document ${req.length}`);
    } catch (e) {
      // Out of step: forget the copy, so that the host sends the whole text again.
      this.docs.delete(req.key);
      throw new Error(`unknown document ${req.key} (${errorMessage(e)})`);
    }
    return { length: doc.text.length };
  }

  /** A mirrored document, with its kept states made valid for the current model. */
  private document(key: string): { latest: TrainedModel; doc: DocumentStates } {
    const latest = this.trained();
    const doc = this.docs.get(key);
    if (!doc) throw new Error(`unknown document ${key}`);
    doc.useModel(`${this.modelSerial}:${latest.progress.step}`);
    return { latest, doc };
  }

  private hover(req: HoverRequest): HoverResult {
    const { latest, doc } = this.document(req.key);
    if (!(req.offset >= 0 && req.offset < doc.text.length)) throw new Error(`offset ${req.offset} is outside the document`);
    const gates = latest.model.cell.sigmoidGates;
    const r = inspectSpan(latest.model, latest.codec, doc, req.offset, req.offset, { next: true, trace: gates.length > 0 });
    const { vocab } = latest.codec;
    const p = r.next!;
    const k = Math.max(1, Math.min(req.topK, 20));
    const top = topK(p, k).map((t) => ({ token: vocab.tokens[t.id], p: t.p }));
    const f = r.following;
    const actual = f ? { token: f.token, p: p[f.id], surprisalBits: -Math.log2(Math.max(p[f.id], 1e-30)), known: f.id !== UNKNOWN_ID } : null;
    return {
      runId: latest.runId, mode: latest.codec.mode, token: r.tokens[0], start: r.offsets[0], end: r.offsets[0] + r.tokens[0].length,
      known: r.ids[0] !== UNKNOWN_ID, top, actual, gates: gateMeansAt(r.trace ?? [], gates, 0), steps: r.steps, cached: r.cached,
    };
  }

  private span(req: SpanRequest): SpanValues {
    const { latest, doc } = this.document(req.key);
    if (req.end - req.start > MAX_SPAN_UNITS) throw new Error(`at most ${MAX_SPAN_UNITS} characters can be painted at once, asked for ${req.end - req.start}`);
    if (req.unit) checkUnit(latest.model, req.unit);
    const r = inspectSpan(latest.model, latest.codec, doc, req.start, req.end, { surprisal: req.surprisal, unit: req.unit });
    return {
      runId: latest.runId, starts: r.offsets, ends: Int32Array.from(r.tokens, (t, i) => r.offsets[i] + t.length),
      bits: r.bits, unit: r.unit, steps: r.steps,
    };
  }

  /** Correlates every unit (each layer, gate, c and h) with the match mask over the tokens read. */
  private unitSearch(req: UnitSearchRequest): UnitSearchResult {
    const { latest, doc } = this.document(req.key);
    const { shape, cell } = latest.model;
    const perToken = shape.hiddenSize * shape.layers * (cell.gateNames.length + 2);
    const limit = Math.min(MAX_INSPECT_TOKENS, Math.floor(MAX_TRACE_VALUES / perToken));
    // The stretch that holds `limit` tokens (word tokens are several characters each).
    const ahead = latest.codec.tokenize(doc.text.slice(req.start, Math.min(req.end, req.start + limit * (latest.codec.mode === 'word' ? 32 : 2))));
    const end = ahead.tokens.length > limit ? req.start + ahead.offsets[limit] : Math.min(req.end, req.start + (ahead.tokens.length ? ahead.offsets[ahead.tokens.length - 1] + ahead.tokens[ahead.tokens.length - 1].length : 0));
    const r = inspectSpan(latest.model, latest.codec, doc, req.start, end, { trace: true });
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

  private surprisal(req: SurprisalRequest): SurprisalResult {
    const { latest, tokens, offsets, ids } = this.tokenized(req.text);
    return { runId: latest.runId, tokens, offsets, bits: surprisal(latest.model, ids) };
  }

  private sample(req: SampleRequest): SampleResult {
    const latest = this.trained();
    const length = Math.min(Math.max(Math.floor(req.length), 1), 2000);
    const temperature = Math.min(Math.max(req.temperature, 0.05), 5);
    // The prime's last tokens carry the context; an empty prime starts from a random token.
    const prime = req.prime ? latest.codec.encode([...req.prime].slice(-PREDICT_CONTEXT).join('')) : undefined;
    const ids = sampleIds(latest.model, latest.codec.vocab, { length, temperature, seed: req.seed, prime });
    return { runId: latest.runId, text: latest.codec.decode(ids) };
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
