/** `lstm-lab train FILE …`: trains headlessly, prints progress (or JSON events) and a sample. */
import { parseArgs } from 'node:util';
import { findBundle, findWasmDir, initBackend, type BackendName } from '../engine/backend';
import { startTrainer } from '../engine/parallel/startTrainer';
import { CELL_TYPES, DEFAULT_TRAIN_CONFIG, KERNELS, OPTIMIZERS, TOKEN_MODES, validateTrainConfig, type TrainConfig } from '../protocol/runConfig';
import { loadCheckpoint, saveCheckpoint } from '../engine/checkpoint';
import { sampleIds } from '../engine/infer';
import { prepareRun, trainLoop, type RunHooks } from '../engine/run';
import { MODEL_DEFINING, resumeRun } from '../engine/resume';
import { captureCheckpoint, configOf, type RunMetrics } from '../engine/snapshot';
import { checkTrainingText } from '../shared/textCheck';
import type { Trainer } from '../engine/trainer';
import { choice, defined, num, peakRssMB, readText, UsageError } from './args';

export const TRAIN_USAGE = `lstm-lab train FILE [--cell rnn|lstm|noforget|peephole|cifg|gru] [--layers N] [--hidden N]
      [--batch N] [--seq N] [--lr X] [--optimizer adam|rmsprop|sgd] [--clip X (0 = off)] [--dropout X]
      [--tokens char|word] [--seed N] [--seconds N | --steps N] [--workers N] [--grad-every N]
      [--save PATH] [--resume PATH] [--max-chars N] [--backend wasm|cpu] [--kernels fused|tfjs] [--json]`;

const TRAIN_FLAGS = ['cell', 'layers', 'hidden', 'batch', 'seq', 'lr', 'optimizer', 'clip', 'dropout', 'tokens', 'seed', 'seconds',
  'steps', 'workers', 'grad-every', 'save', 'resume', 'max-chars', 'backend', 'kernels'] as const;

/** The flag that sets each setting. */
const FLAG_OF: Record<string, string> = {
  cell: 'cell', layers: 'layers', hiddenSize: 'hidden', dropout: 'dropout', optimizer: 'optimizer', tokens: 'tokens', gradientEvery: 'grad-every', workers: 'workers',
  sequenceLength: 'seq', batchSize: 'batch', learningRate: 'lr', clipNorm: 'clip', maxSeconds: 'seconds', maxSteps: 'steps', seed: 'seed',
  kernels: 'kernels',
};
const flagOf = (key: string) => (FLAG_OF[key] ? `--${FLAG_OF[key]}` : `(checkpoint) ${key}`);

export async function train(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...Object.fromEntries(TRAIN_FLAGS.map((k) => [k, { type: 'string' as const }])),
      json: { type: 'boolean' as const },
    },
  });
  const s = (k: (typeof TRAIN_FLAGS)[number]) => (v as Record<string, unknown>)[k] as string | undefined;
  if (positionals.length !== 1) throw new UsageError('train needs exactly one FILE');
  const file = positionals[0];
  const requested: Partial<TrainConfig> = defined({
    cell: choice(s('cell'), 'cell', CELL_TYPES), layers: num(s('layers'), 'layers'), hiddenSize: num(s('hidden'), 'hidden'),
    batchSize: num(s('batch'), 'batch'), seqLength: num(s('seq'), 'seq'), learningRate: num(s('lr'), 'lr'),
    optimizer: choice(s('optimizer'), 'optimizer', OPTIMIZERS), clipNorm: num(s('clip'), 'clip'), dropout: num(s('dropout'), 'dropout'),
    tokens: choice(s('tokens'), 'tokens', TOKEN_MODES), seed: num(s('seed'), 'seed'), maxSeconds: num(s('seconds'), 'seconds'),
    maxSteps: num(s('steps'), 'steps'), gradEvery: num(s('grad-every'), 'grad-every'), workers: num(s('workers'), 'workers'),
    kernels: choice(s('kernels'), 'kernels', KERNELS),
  });
  if (requested.maxSteps !== undefined && requested.maxSeconds === undefined) requested.maxSeconds = 0;
  const backend = choice(s('backend'), 'backend', ['wasm', 'cpu'] as const) ?? 'wasm';
  const json = Boolean(v.json);
  const maxChars = num(s('max-chars'), 'max-chars') ?? 5_000_000;
  const say = (line: string) => { if (!json) console.log(line); };
  const emit = (event: object) => { if (json) console.log(JSON.stringify(event)); };

  const text = readText(file);
  const check = checkTrainingText(text, maxChars);
  if (!check.ok) throw new Error(`${file}: ${check.reason}`);
  if (check.truncated) say(`note: training on the first ${check.text.length.toLocaleString('en')} of ${check.originalLength.toLocaleString('en')} characters`);

  const info = await initBackend(backend as BackendName, backend === 'wasm' ? findWasmDir(__dirname) : undefined);
  let config: TrainConfig;
  let metrics: RunMetrics = { train: [], val: [] };
  let bestValLoss: number | null = null;
  let run: ReturnType<typeof prepareRun>;
  let startStep = 0;
  let resumedTrainer: Trainer | undefined;
  if (s('resume')) {
    const ckpt = await loadCheckpoint(s('resume')!);
    const saved = configOf(ckpt);
    // Flags may change how training goes on, not what the model is.
    for (const k of MODEL_DEFINING) {
      if (requested[k] !== undefined && requested[k] !== saved[k]) throw new UsageError(`--resume: the checkpoint has ${k} ${saved[k]}; it cannot change to ${requested[k]}`);
    }
    const merged = validateTrainConfig({ ...saved, maxSeconds: DEFAULT_TRAIN_CONFIG.maxSeconds, maxSteps: 0, ...requested }, flagOf);
    const invalid = merged.problems.filter((p) => p.startsWith('--'));
    if (invalid.length > 0) throw new UsageError(invalid.map((p) => p.replace(/; using .*$/, '')).join('\n'));
    config = merged.config;
    const resumed = await resumeRun(ckpt, check.text, config);
    run = resumed.run;
    resumedTrainer = resumed.trainer;
    startStep = resumed.step;
    metrics = resumed.metrics;
    bestValLoss = resumed.bestValLoss;
    resumed.notes.slice(run.notes.length).forEach((n) => say(`note: ${n}`));
    say(`resuming ${s('resume')} at step ${startStep}`);
  } else {
    const { config: c, problems } = validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG, ...requested }, flagOf);
    const invalid = problems.filter((p) => p.startsWith('--'));
    if (invalid.length > 0) throw new UsageError(invalid.map((p) => p.replace(/; using .*$/, '')).join('\n'));
    config = c;
    run = prepareRun(check.text, config);
  }
  run.notes.forEach((n) => say(`note: ${n}`));
  say(`${file}: ${run.train.length.toLocaleString('en')} train + ${run.val.length.toLocaleString('en')} validation ${config.tokens === 'word' ? 'words' : 'characters'}, ` +
    `vocabulary ${run.codec.vocab.size}, ${config.cell} ${config.layers}×${config.hiddenSize}, ${run.model.parameterCount.toLocaleString('en')} parameters, ` +
    `batch ${run.batch} × ${run.steps} steps, ${config.optimizer}, backend ${info.name}${info.simd ? ' (simd)' : ''}${config.workers > 1 ? `, ${config.workers} workers` : ''}`);

  let lastPrint = -Infinity;
  const hooks: RunHooks = {
    onStep: (st) => {
      metrics.train.push({ step: st.step, loss: st.loss });
      emit({ event: 'step', step: st.step, loss: st.loss, charsPerSec: Math.round(st.charsPerSec), gradNorm: st.gradNorm, clipped: st.clipped });
      if (st.elapsedMs - lastPrint >= 2000) {
        lastPrint = st.elapsedMs;
        say(`step ${String(st.step).padStart(5)}  loss ${st.loss.toFixed(3)}  ${(st.loss / Math.LN2).toFixed(3)} bits/token  ${Math.round(st.charsPerSec).toLocaleString('en')} tokens/s`);
      }
    },
    onVal: (step, loss) => {
      metrics.val.push({ step, loss });
      if (bestValLoss === null || loss < bestValLoss) bestValLoss = loss;
      emit({ event: 'val', step, loss });
      say(`step ${String(step).padStart(5)}  validation loss ${loss.toFixed(3)}  ${(loss / Math.LN2).toFixed(3)} bits/token`);
    },
    onGradByLag: (step, g, clipped) => emit({ event: 'gradByLag', step, h: g.h, c: g.c, hTotal: g.hTotal, cTotal: g.cTotal, clipped }),
  };
  const trainer = await startTrainer(run, config, { shardScript: findBundle(__dirname, 'shardWorker.js'), wasmDir: findWasmDir(__dirname) }, resumedTrainer, (n) => { say(`note: ${n}`); emit({ event: 'note', message: n }); });
  const summary = await trainLoop(run, config, hooks, { step: startStep, trainer });
  const save = s('save');
  if (save && summary.steps > startStep) {
    await saveCheckpoint(save, await captureCheckpoint({ model: run.model, codec: run.codec, config, trainer: summary.trainer, step: summary.steps, metrics, bestValLoss }));
    say(`saved ${save}`);
  }
  summary.trainer.dispose();
  emit({ event: 'done', steps: summary.steps, trainLoss: summary.trainLoss, valLoss: summary.valLoss, charsPerSec: Math.round(summary.charsPerSec), peakRssMB: peakRssMB(), reason: summary.reason });
  if (summary.message) console.error(`lstm-lab: ${summary.message}`);
  say(`done: step ${summary.steps} (${summary.reason}), train loss ${summary.trainLoss?.toFixed(3) ?? 'n/a'}, ` +
    `validation loss ${summary.valLoss?.toFixed(3) ?? 'n/a'}, ${Math.round(summary.charsPerSec).toLocaleString('en')} tokens/s, peak RSS ${peakRssMB()} MB`);
  if (!json && summary.reason !== 'diverged') {
    say('sample (temperature 0.8):');
    say(run.codec.decode(sampleIds(run.model, run.codec.vocab, { length: config.tokens === 'word' ? 80 : 300, temperature: 0.8, seed: config.seed })));
  }
  run.model.dispose();
  if (summary.reason === 'diverged') process.exitCode = 3;
}
