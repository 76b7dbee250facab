/**
 * `lstm-lab seq2seq FILE …` trains an encoder–decoder on a file of pairs and reports held-out
 * accuracy as it goes; `lstm-lab translate CHECKPOINT` decodes lines from stdin;
 * `lstm-lab seq2seq-sample TASK` prints a generated file of pairs.
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { findWasmDir, initBackend } from '../engine/backend';
import { loadCheckpoint, saveCheckpoint } from '../engine/checkpoint';
import { ATTENTION_KINDS } from '../engine/seq2seq/model';
import { SAMPLE_TASKS, sampleText, type SampleTask } from '../shared/seq2seqSamples';
import { prepareSeq2Seq, SEQ2SEQ_DEFAULTS, seq2seqCheckpoint, seq2seqCodecOf, seq2seqFromCheckpoint, Seq2SeqTrainer, type Evaluation, type Seq2SeqOptions } from '../engine/seq2seq/trainer';
import { CELL_TYPES, TOKEN_MODES } from '../protocol/runConfig';
import { choice, defined, num, peakRssMB, readText, UsageError } from './args';

export const SEQ2SEQ_USAGE = `lstm-lab seq2seq FILE [--cell rnn|lstm|noforget|peephole|cifg|gru] [--hidden N] [--layers 1|2]
      [--attention none|additive|dot] [--bidirectional] [--beam N] [--batch N] [--lr X] [--clip X] [--tokens char|word]
      [--seed N] [--seconds N | --steps N] [--eval-every SECONDS] [--save PATH] [--resume PATH] [--json]`;
export const TRANSLATE_USAGE = 'lstm-lab translate CHECKPOINT [--beam N]   (source lines on stdin, one decoding per line on stdout)';
export const SEQ2SEQ_SAMPLE_USAGE = `lstm-lab seq2seq-sample ${Object.keys(SAMPLE_TASKS).join('|')} [--pairs N] [--seed N]`;

const FLAGS = ['cell', 'hidden', 'layers', 'attention', 'beam', 'batch', 'lr', 'clip', 'tokens', 'seed', 'seconds', 'steps', 'eval-every', 'save', 'resume'] as const;

export async function seq2seq(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...Object.fromEntries(FLAGS.map((k) => [k, { type: 'string' as const }])), bidirectional: { type: 'boolean' }, json: { type: 'boolean' } },
  });
  const s = (k: (typeof FLAGS)[number]) => (v as Record<string, unknown>)[k] as string | undefined;
  if (positionals.length !== 1) throw new UsageError('seq2seq needs exactly one FILE of pairs');
  const file = positionals[0];
  const options: Seq2SeqOptions = {
    ...SEQ2SEQ_DEFAULTS,
    ...defined({
      cell: choice(s('cell'), 'cell', CELL_TYPES), hidden: num(s('hidden'), 'hidden'), layers: num(s('layers'), 'layers'),
      attention: choice(s('attention'), 'attention', ATTENTION_KINDS), beam: num(s('beam'), 'beam'), batchSize: num(s('batch'), 'batch'),
      learningRate: num(s('lr'), 'lr'), clipNorm: num(s('clip'), 'clip'), tokens: choice(s('tokens'), 'tokens', TOKEN_MODES), seed: num(s('seed'), 'seed'),
    }),
    bidirectional: Boolean(v.bidirectional),
  };
  const steps = num(s('steps'), 'steps');
  const seconds = num(s('seconds'), 'seconds') ?? (steps === undefined ? 60 : Infinity);
  const evalEvery = num(s('eval-every'), 'eval-every') ?? 10;
  if (!(seconds > 0) || (steps !== undefined && !(Number.isInteger(steps) && steps >= 1)) || !(evalEvery > 0)) throw new UsageError('--seconds, --steps and --eval-every must be positive');
  const json = Boolean(v.json);
  const say = (line: string) => { if (!json) console.log(line); };
  const emit = (event: object) => { if (json) console.log(JSON.stringify(event)); };

  const text = readText(file);
  if (text.includes('\u0000')) throw new Error(`${file} looks binary (it has NUL bytes), not a text file of pairs`);
  const resume = s('resume') ? await loadCheckpoint(s('resume')!) : undefined;
  let data;
  try {
    data = prepareSeq2Seq(text, options, resume ? seq2seqCodecOf(resume) : undefined);
  } catch (e) {
    throw new Error(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (data.note) {
    say(`note: ${data.note}`);
    emit({ event: 'note', message: data.note });
  }
  const wasmDir = findWasmDir(__dirname);
  await initBackend('wasm', wasmDir);
  // A resumed run is the checkpoint's model (its cell, sizes and attention), its Adam state and step.
  const trainer = resume ? await seq2seqFromCheckpoint(resume, wasmDir, data) : await Seq2SeqTrainer.create(data, options, wasmDir);
  if (resume) say(`resuming ${s('resume')} at step ${trainer.step}`);
  say(`${file}: ${data.train.length.toLocaleString('en')} training pairs, ${data.heldOut.length.toLocaleString('en')} held out; ` +
    `vocabulary ${data.codec.vocab.size} (${trainer.options.tokens}); ${trainer.options.cell} ${trainer.options.layers}×${trainer.options.hidden}, attention ${trainer.options.attention}` +
    `${trainer.options.bidirectional ? ', bidirectional encoder' : ''}, batch ${trainer.model.batch}`);

  const metrics = { train: [] as { step: number; loss: number }[], val: [] as { step: number; loss: number }[] };
  let trainMs = 0;
  let chars = 0;
  let lastLoss = NaN;
  let lossSum = 0;
  let lossCount = 0;
  let nextEval = evalEvery * 1000;
  let last: Evaluation | null = null;
  const report = () => {
    last = trainer.evaluate();
    const e = { event: 'eval', step: trainer.step, seconds: +(trainMs / 1000).toFixed(2), loss: lossCount ? lossSum / lossCount : lastLoss, tokenAccuracy: last.tokenAccuracy, exactMatch: last.exactMatch, pairs: last.pairs };
    emit(e);
    say(`${e.seconds.toFixed(1).padStart(6)} s  step ${String(trainer.step).padStart(5)}  loss ${e.loss.toFixed(3)}  token accuracy ${(100 * e.tokenAccuracy).toFixed(1)}%  exact match ${(100 * e.exactMatch).toFixed(1)}%`);
    lossSum = 0;
    lossCount = 0;
  };
  while (trainMs < seconds * 1000 && (steps === undefined || trainer.step < steps)) {
    const t0 = performance.now();
    const r = trainer.trainStep();
    trainMs += performance.now() - t0;
    if (!r.finite) throw new Error(`${Number.isFinite(r.loss) ? `the gradient norm became ${r.gradNorm}` : `the loss became ${r.loss}`} at step ${trainer.step + 1}; try a smaller learning rate (--lr)`);
    chars += r.chars;
    lastLoss = r.loss;
    lossSum += r.loss;
    lossCount++;
    if (trainer.step % 10 === 0) {
      metrics.train.push({ step: trainer.step, loss: r.loss });
      emit({ event: 'step', step: trainer.step, loss: r.loss, gradNorm: r.gradNorm, clipped: r.clipped, sourceGradNorms: Array.from(r.sourceGradNorms, (x) => +x.toPrecision(4)) });
    }
    if (trainMs >= nextEval) {
      report();
      nextEval += evalEvery * 1000;
    }
  }
  report();
  const final = last as unknown as Evaluation;
  const save = s('save');
  if (save) {
    await saveCheckpoint(save, seq2seqCheckpoint(trainer, metrics));
    say(`saved ${save}`);
  }
  const charsPerSec = trainMs > 0 ? Math.round(chars / (trainMs / 1000)) : 0;
  emit({ event: 'done', steps: trainer.step, loss: lastLoss, tokenAccuracy: final.tokenAccuracy, exactMatch: final.exactMatch, charsPerSec, seconds: +(trainMs / 1000).toFixed(2), peakRssMB: peakRssMB() });
  say(`done: ${trainer.step} steps in ${(trainMs / 1000).toFixed(1)} s of training (${charsPerSec.toLocaleString('en')} tokens/s), ` +
    `held-out token accuracy ${(100 * final.tokenAccuracy).toFixed(1)}%, exact match ${(100 * final.exactMatch).toFixed(1)}%`);
  for (const x of final.examples) say(`  ${x.correct ? '✓' : '✗'} ${x.source}  →  ${x.output}${x.correct ? '' : `   (want ${x.target})`}`);
}

export async function translate(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { beam: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('translate needs exactly one CHECKPOINT');
  const wasmDir = findWasmDir(__dirname);
  await initBackend('wasm', wasmDir);
  const trainer = await seq2seqFromCheckpoint(await loadCheckpoint(positionals[0]), wasmDir);
  const beam = num(v.beam, 'beam') ?? trainer.options.beam;
  if (!(Number.isInteger(beam) && beam >= 1 && beam <= 16)) throw new UsageError('--beam must be 1–16');
  const input = fs.readFileSync(0).toString('utf8');
  for (const line of input.split(/\r\n|\n|\r/)) {
    if (line === '') continue;
    // A pairs file can be piped in as it is: only the source is read.
    const source = line.includes('\t') ? line.slice(0, line.indexOf('\t')) : line;
    try {
      console.log(trainer.translate(source, beam).text);
    } catch (e) {
      console.log(`(${e instanceof Error ? e.message : String(e)})`);
    }
  }
}

export function seq2seqSample(argv: string[]): void {
  const { values: v, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { pairs: { type: 'string' }, seed: { type: 'string' } } });
  const task = choice(positionals[0], 'task', Object.keys(SAMPLE_TASKS) as SampleTask[]);
  if (!task || positionals.length !== 1) throw new UsageError(`seq2seq-sample needs one task: ${Object.keys(SAMPLE_TASKS).join(', ')}`);
  const pairs = num(v.pairs, 'pairs') ?? SAMPLE_TASKS[task].pairs;
  if (!(Number.isInteger(pairs) && pairs >= 2 && pairs <= 1_000_000)) throw new UsageError('--pairs must be 2–1000000');
  process.stdout.write(sampleText(task, pairs, num(v.seed, 'seed') ?? 1));
}
