/**
 * The sequence-to-sequence thread's work: one run at a time on a file of pairs, its progress and
 * held-out evaluations for the host, and decodings asked for while it trains (answered between
 * two steps) or after it ends (with the model it left). Free of worker_threads so that tests can
 * drive it; seq2seqMain.ts connects it to the thread's port.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorMessage } from '../protocol/messages';
import type { AttentionMap, FromSeq2Seq, Seq2SeqFiles, Seq2SeqRunOptions, ToSeq2Seq } from '../protocol/seq2seqMessages';
import { loadCheckpoint, saveCheckpoint } from '../engine/checkpoint';
import { tokenizeText } from '../engine/codec';
import { prepareSeq2Seq, SEQ2SEQ_DEFAULTS, seq2seqCheckpoint, seq2seqCodecOf, seq2seqFromCheckpoint, Seq2SeqTrainer } from '../engine/seq2seq/trainer';
import type { Decoded } from '../engine/seq2seq/decode';

/** Progress messages at most this often. */
const PROGRESS_MS = 250;
/** Held-out evaluation every this much training time, and at the end. */
const EVAL_MS = 5000;
/** Held-out pairs decoded per evaluation (all of them when fewer). */
const EVAL_PAIRS = 2000;

export class Seq2SeqRunner {
  private trainer: Seq2SeqTrainer | undefined;
  private running: { runId: string; stop: boolean } | undefined;

  constructor(
    private readonly post: (m: FromSeq2Seq) => void,
    private readonly ready: () => Promise<void>,
    private readonly wasmDir: string,
  ) {}

  async handle(m: ToSeq2Seq): Promise<void> {
    switch (m.type) {
      case 'start':
        await this.start(m.runId, m.text, m.options, m.files);
        break;
      case 'load':
        await this.load(m.id, m.path);
        break;
      case 'stop':
        if (this.running) this.running.stop = true;
        break;
      case 'translate':
        this.translate(m.id, m.source);
        break;
    }
  }

  private translate(id: number, source: string): void {
    const t = this.trainer;
    if (!t) {
      this.post({ type: 'translated', id, ok: false, error: 'no sequence-to-sequence model yet: train one on a file of pairs' });
      return;
    }
    try {
      const d = t.translate(source);
      this.post({ type: 'translated', id, ok: true, output: d.text, tokens: d.ids.map((i) => t.data.codec.vocab.tokens[i]), probs: d.probs, attention: attentionMap(t, source, d), step: t.step });
    } catch (e) {
      this.post({ type: 'translated', id, ok: false, error: errorMessage(e) });
    }
  }

  /** A checkpoint's model becomes the one that decodes; never while a run trains. */
  private async load(id: number, path: string): Promise<void> {
    if (this.running) {
      this.post({ type: 'loaded', id, ok: false, error: 'a sequence-to-sequence run is training; its model decodes' });
      return;
    }
    try {
      await this.ready();
      const trainer = await seq2seqFromCheckpoint(await loadCheckpoint(path), this.wasmDir);
      if (this.running) throw new Error('a sequence-to-sequence run started meanwhile');
      this.trainer = trainer;
      this.post({ type: 'loaded', id, ok: true, options: runOptions(trainer, 0), step: trainer.step });
    } catch (e) {
      this.post({ type: 'loaded', id, ok: false, error: errorMessage(e) });
    }
  }

  private async start(runId: string, text: string, options: Seq2SeqRunOptions, files: Seq2SeqFiles): Promise<void> {
    if (this.running) {
      this.post({ type: 'refused', runId, error: 'a sequence-to-sequence run is already training' });
      return;
    }
    this.running = { runId, stop: false };
    let trainer: Seq2SeqTrainer;
    try {
      await this.ready();
      const o = { ...SEQ2SEQ_DEFAULTS, ...options };
      // A continued run is its checkpoint's model (cell, sizes, attention, vocabulary), Adam state and step.
      const resume = files.resume ? await loadCheckpoint(files.resume) : undefined;
      const data = prepareSeq2Seq(text, o, resume ? seq2seqCodecOf(resume) : undefined);
      trainer = resume ? await seq2seqFromCheckpoint(resume, this.wasmDir, data) : await Seq2SeqTrainer.create(data, o, this.wasmDir);
    } catch (e) {
      this.running = undefined;
      this.post({ type: 'refused', runId, error: errorMessage(e) });
      return;
    }
    this.trainer = trainer;
    const { data } = trainer;
    const fromStep = trainer.step;
    const losses: { step: number; loss: number }[] = [];
    this.post({
      type: 'started', runId, trainPairs: data.train.length, heldOutPairs: data.heldOut.length, vocabSize: data.codec.vocab.size, note: data.note,
      batch: trainer.model.batch, options: runOptions(trainer, options.maxSeconds), fromStep,
    });
    let trainMs = 0;
    let tokens = 0;
    let lossSum = 0;
    let lossCount = 0;
    let lastProgress = 0;
    let nextEval = EVAL_MS;
    // ‖∂L/∂h_enc_i‖ summed by source position over the steps since the last evaluation. A batch
    // holds sources of one length, so each position's mean is over the steps that reached it.
    const norms = new PositionMeans();
    let reason: 'completed' | 'stopped' | 'failed' = 'completed';
    let message: string | null = null;
    const evaluate = () => {
      const ev = trainer.evaluate(EVAL_PAIRS, 6);
      const first = data.heldOutPairs[0];
      const d = trainer.translate(first.source, 1);
      this.post({
        type: 'eval', runId,
        eval: { step: trainer.step, seconds: trainMs / 1000, loss: lossCount ? lossSum / lossCount : NaN, tokenAccuracy: ev.tokenAccuracy, exactMatch: ev.exactMatch },
        examples: ev.examples, attention: attentionMap(trainer, first.source, d), sourceGradNorms: norms.take(),
      });
      if (lossCount) losses.push({ step: trainer.step, loss: lossSum / lossCount });
      lossSum = 0;
      lossCount = 0;
    };
    try {
      evaluate();
      while (!this.running.stop && (options.maxSeconds <= 0 || trainMs < options.maxSeconds * 1000)) {
        const t0 = performance.now();
        const r = trainer.trainStep();
        trainMs += performance.now() - t0;
        if (!r.finite) {
          reason = 'failed';
          message = `${Number.isFinite(r.loss) ? `the gradient norm became ${r.gradNorm}` : `the loss became ${r.loss}`} at step ${trainer.step + 1}; try a smaller learning rate`;
          break;
        }
        tokens += r.chars;
        lossSum += r.loss;
        lossCount++;
        norms.add(r.sourceGradNorms);
        const now = performance.now();
        if (now - lastProgress >= PROGRESS_MS) {
          lastProgress = now;
          this.post({ type: 'progress', runId, step: trainer.step, loss: r.loss, tokensPerSec: trainMs > 0 ? tokens / (trainMs / 1000) : 0 });
        }
        if (trainMs >= nextEval) {
          evaluate();
          nextEval += EVAL_MS;
        }
        // Let stop and translate requests in between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (reason !== 'failed' && this.running.stop) reason = 'stopped';
      if (reason !== 'failed') evaluate();
    } catch (e) {
      reason = 'failed';
      message = errorMessage(e);
    }
    // The model is kept when it trained (a failed run's last weights may not be finite).
    let checkpoint: string | null = null;
    if (files.save && reason !== 'failed' && trainer.step > fromStep) {
      try {
        await mkdir(dirname(files.save), { recursive: true });
        await saveCheckpoint(files.save, seq2seqCheckpoint(trainer, { train: losses, val: [] }));
        checkpoint = files.save;
      } catch (e) {
        message = `the model could not be saved: ${errorMessage(e)}`;
      }
    }
    this.running = undefined;
    this.post({ type: 'done', runId, reason, message, steps: trainer.step, checkpoint });
  }
}

/** A trainer's options as the host knows them. */
function runOptions(t: Seq2SeqTrainer, maxSeconds: number): Seq2SeqRunOptions {
  const o = t.options;
  return {
    cell: o.cell, layers: o.layers, hidden: o.hidden, attention: o.attention, bidirectional: o.bidirectional, tokens: o.tokens,
    batchSize: o.batchSize, learningRate: o.learningRate, beam: o.beam, seed: o.seed, maxSeconds,
  };
}

/** The decoding of `source` as tokens with where each output token looked (null without attention). */
function attentionMap(t: Seq2SeqTrainer, source: string, d: Decoded): AttentionMap | null {
  if (d.attention.length === 0) return null;
  const { codec } = t.data;
  return {
    source: tokenizeText(codec.mode, source).tokens,
    output: d.ids.map((i) => codec.vocab.tokens[i]),
    weights: d.attention.map((row) => Array.from(row, (x) => +x.toFixed(4))),
    probs: d.probs.map((p) => +p.toFixed(4)),
  };
}

/** Means by position of vectors of different lengths: position i over the vectors that reach it. */
export class PositionMeans {
  private sums: number[] = [];
  private counts: number[] = [];
  private last: number[] = [];

  add(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) {
      this.sums[i] = (this.sums[i] ?? 0) + values[i];
      this.counts[i] = (this.counts[i] ?? 0) + 1;
    }
  }

  /** The means since the last take, and a fresh start; the last means again when nothing came. */
  take(): number[] {
    if (this.sums.length > 0) this.last = this.sums.map((s, i) => s / this.counts[i]);
    this.sums = [];
    this.counts = [];
    return this.last;
  }
}
