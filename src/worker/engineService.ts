/**
 * The engine behind the worker door: handles one message at a time and reports through `post`.
 * Kept free of worker_threads so that tests can drive it directly.
 */
import type { Codec } from '../engine/codec';
import { nextDistribution, sampleIds, saturation, surprisal, topK, traceSpan } from '../engine/infer';
import type { SequenceModel } from '../engine/model';
import { startTrainer, type ShardSetup } from '../engine/parallel/startTrainer';
import { prepareRun, trainLoop } from '../engine/run';
import type { Trainer } from '../engine/trainer';
import { UNKNOWN_ID } from '../engine/tokens';
import { errorMessage, type Reply } from '../protocol/messages';
import type {
  HostToWorker, PredictRequest, PredictResult, SampleRequest, SampleResult, StepPoint, SurprisalRequest, SurprisalResult, TraceRequest, TraceResult, TrainAccepted, TrainRequest, WorkerToHost,
} from '../protocol/workerProtocol';

/** How often step points are flushed to the host. */
const FLUSH_MS = 150;
/** Characters of context a prediction reads. */
export const PREDICT_CONTEXT = 256;
/** Most tokens one trace or surprisal request covers. */
export const MAX_INSPECT_TOKENS = 20_000;
/** Most values one trace may hold (tokens × units × traced names × layers): 64 MB of floats. */
export const MAX_TRACE_VALUES = 16_000_000;

interface TrainedModel {
  runId: string;
  model: SequenceModel;
  codec: Codec;
}

export class EngineService {
  private running: { runId: string; stop: boolean } | undefined;
  private latest: TrainedModel | undefined;

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
    this.running = { runId: req.runId, stop: false };
    let backend: string;
    let run: ReturnType<typeof prepareRun>;
    try {
      backend = await this.backendName();
      run = prepareRun(req.text, req.config);
    } catch (e) {
      this.running = undefined;
      throw e;
    }
    const accepted: TrainAccepted = {
      runId: req.runId, batchSize: run.batch, seqLength: run.steps, notes: run.notes,
      vocabSize: run.codec.vocab.size, trainTokens: run.train.length, valTokens: run.val.length,
      parameters: run.model.parameterCount, backend,
    };
    // Train after replying, so that the host learns the run started before its first steps.
    setImmediate(() => void this.loop(req, run));
    return accepted;
  }

  private async loop(req: TrainRequest, run: ReturnType<typeof prepareRun>): Promise<void> {
    const runId = req.runId;
    const control = this.running!;
    let pending: StepPoint[] = [];
    let lastFlush = performance.now();
    let charsPerSec = 0;
    let elapsedMs = 0;
    const flush = () => {
      if (pending.length === 0) return;
      this.post({ type: 'steps', runId, points: pending, charsPerSec, elapsedMs });
      pending = [];
      lastFlush = performance.now();
    };
    // The model serves predictions from its first step on.
    const previous = this.latest;
    this.latest = { runId, model: run.model, codec: run.codec };
    if (previous && previous.model !== run.model) previous.model.dispose();
    let trainer: Trainer | undefined;
    let lastStep = 0;
    try {
      trainer = await startTrainer(run, req.config, this.shards);
      const { trainer: _, ...summary } = await trainLoop(run, req.config, {
        onStep: (s) => {
          lastStep = s.step;
          pending.push({ step: s.step, loss: s.loss, gradNorm: s.gradNorm });
          charsPerSec = s.charsPerSec;
          elapsedMs = s.elapsedMs;
          if (performance.now() - lastFlush >= FLUSH_MS) flush();
        },
        onVal: (step, loss) => { flush(); this.post({ type: 'val', runId, step, loss }); },
        onSample: (step, text) => this.post({ type: 'sample', runId, step, text }),
        onGradByLag: (step, g, clipped) => this.post({ type: 'gradByLag', runId, step, h: g.h, c: g.c, hTotal: g.hTotal, clipped }),
        shouldStop: () => control.stop,
        pause: () => new Promise((resolve) => setImmediate(resolve)),
      }, { trainer });
      flush();
      this.post({ type: 'done', runId, ...summary });
    } catch (e) {
      flush();
      this.post({ type: 'done', runId, reason: 'failed', steps: lastStep, trainLoss: null, valLoss: null, charsPerSec: 0, message: errorMessage(e) });
    } finally {
      // Also ends any shard workers of a data-parallel run.
      trainer?.dispose();
      this.running = undefined;
    }
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
    return { runId: latest.runId, top, actual, contextChars: [...context].length };
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

  private surprisal(req: SurprisalRequest): SurprisalResult {
    const { latest, tokens, offsets, ids } = this.tokenized(req.text);
    return { runId: latest.runId, tokens, offsets, bits: surprisal(latest.model, ids) };
  }

  private sample(req: SampleRequest): SampleResult {
    const latest = this.trained();
    const length = Math.min(Math.max(Math.floor(req.length), 1), 2000);
    const temperature = Math.min(Math.max(req.temperature, 0.05), 5);
    const ids = sampleIds(latest.model, latest.codec.vocab, { length, temperature, seed: req.seed });
    return { runId: latest.runId, text: latest.codec.decode(ids) };
  }
}
