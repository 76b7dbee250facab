/**
 * Headless LSTM Lab on the same engine as the extension:
 *   lstm-lab train FILE [--seconds N] [--steps N] [--hidden N] [--batch N] [--seq N] [--lr X]
 *                       [--clip X] [--seed N] [--max-chars N] [--backend wasm|cpu] [--json]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { bench } from './bench';
import { findWasmDir, initBackend, type BackendName } from '../engine/backend';
import { DEFAULT_TRAIN_CONFIG } from '../engine/defaults';
import { sample } from '../engine/infer';
import { prepareRun, trainLoop } from '../engine/run';
import { checkTrainingText } from '../engine/textCheck';
import type { TrainConfig } from '../protocol/workerProtocol';
import { validateTrainConfig } from '../settings';

const USAGE = `usage: lstm-lab train FILE [--seconds N] [--steps N] [--hidden N] [--batch N] [--seq N]
                      [--lr X] [--clip X] [--seed N] [--max-chars N] [--backend wasm|cpu] [--json]
       lstm-lab bench [--corpus FILE] [--seconds N] [--reference reference_torch.py]`;

class UsageError extends Error {}

function num(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got "${value}"`);
  return n;
}

async function train(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      seconds: { type: 'string' }, steps: { type: 'string' }, hidden: { type: 'string' },
      batch: { type: 'string' }, seq: { type: 'string' }, lr: { type: 'string' }, clip: { type: 'string' },
      seed: { type: 'string' }, 'max-chars': { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('train needs exactly one FILE');
  const file = positionals[0];
  const requested: Partial<TrainConfig> = {
    maxSeconds: num(values.seconds, 'seconds'), maxSteps: num(values.steps, 'steps'),
    hiddenSize: num(values.hidden, 'hidden'), batchSize: num(values.batch, 'batch'), seqLength: num(values.seq, 'seq'),
    learningRate: num(values.lr, 'lr'), clipNorm: num(values.clip, 'clip'), seed: num(values.seed, 'seed'),
  };
  const raw = { ...DEFAULT_TRAIN_CONFIG, ...Object.fromEntries(Object.entries(requested).filter(([, v]) => v !== undefined)) };
  if (values.steps !== undefined && values.seconds === undefined) raw.maxSeconds = 0;
  const { config, problems } = validateTrainConfig(raw);
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  const backend = (values.backend ?? 'wasm') as BackendName;
  if (backend !== 'wasm' && backend !== 'cpu') throw new UsageError('--backend must be wasm or cpu');
  const json = Boolean(values.json);
  const maxChars = num(values['max-chars'], 'max-chars') ?? 5_000_000;

  let buffer: Buffer;
  try {
    buffer = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  const check = checkTrainingText(buffer.toString('utf8'), maxChars);
  if (!check.ok) throw new Error(check.reason);
  const say = (line: string) => { if (!json) console.log(line); };
  const emit = (event: object) => { if (json) console.log(JSON.stringify(event)); };
  if (check.truncated) say(`note: training on the first ${check.text.length.toLocaleString('en')} of ${check.originalLength.toLocaleString('en')} characters`);

  const info = await initBackend(backend, backend === 'wasm' ? findWasmDir(__dirname) : undefined);
  const run = prepareRun(check.text, config);
  run.notes.forEach((n) => say(`note: ${n}`));
  say(`${file}: ${run.train.length.toLocaleString('en')} train + ${run.val.length.toLocaleString('en')} validation characters, ` +
    `vocabulary ${run.vocab.size}, LSTM ${config.hiddenSize}, ${run.model.parameterCount.toLocaleString('en')} parameters, ` +
    `batch ${run.batch} × ${run.steps} steps, backend ${info.name}${info.simd ? ' (simd)' : ''}`);
  let lastPrint = 0;
  const summary = await trainLoop(run, config, {
    onStep: (s) => {
      emit({ event: 'step', step: s.step, loss: s.loss, charsPerSec: Math.round(s.charsPerSec) });
      if (!json && (s.elapsedMs - lastPrint >= 2000 || s.step === 1)) {
        lastPrint = s.elapsedMs;
        say(`step ${String(s.step).padStart(5)}  loss ${s.loss.toFixed(3)}  ${(s.loss / Math.LN2).toFixed(3)} bits/char  ${Math.round(s.charsPerSec).toLocaleString('en')} chars/s`);
      }
    },
    onVal: (step, loss) => {
      emit({ event: 'val', step, loss });
      say(`step ${String(step).padStart(5)}  validation loss ${loss.toFixed(3)}  ${(loss / Math.LN2).toFixed(3)} bits/char`);
    },
  });
  const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  emit({ event: 'done', steps: summary.steps, trainLoss: summary.trainLoss, valLoss: summary.valLoss, charsPerSec: Math.round(summary.charsPerSec), peakRssMB, reason: summary.reason });
  if (summary.message) console.error(summary.message);
  say(`done: ${summary.steps} steps (${summary.reason}), train loss ${summary.trainLoss?.toFixed(3)}, ` +
    `validation loss ${summary.valLoss?.toFixed(3) ?? 'n/a'}, ${Math.round(summary.charsPerSec).toLocaleString('en')} chars/s, peak RSS ${peakRssMB} MB`);
  if (!json) {
    say('sample (temperature 0.8):');
    say(sample(run.model, run.vocab, { length: 300, temperature: 0.8, seed: config.seed }));
  }
  run.model.dispose();
  if (summary.reason === 'diverged') process.exitCode = 3;
}

async function runBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { corpus: { type: 'string' }, seconds: { type: 'string' }, reference: { type: 'string' }, json: { type: 'boolean' } } });
  const corpus = values.corpus ?? path.join(__dirname, '..', 'samples', 'shakespeare.txt');
  const result = await bench({ corpus, seconds: num(values.seconds, 'seconds') ?? 15, reference: values.reference });
  console.log(JSON.stringify(result, null, 2));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'train':
      return train(rest);
    case 'bench':
      return runBench(rest);
    case undefined:
    case '-h':
    case '--help':
      console.log(USAGE);
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`lstm-lab: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`lstm-lab: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
