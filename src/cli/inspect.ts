/** `lstm-lab sample CHECKPOINT …` and `lstm-lab eval CHECKPOINT FILE`. */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { findWasmDir, initBackend } from '../engine/backend';
import { loadCheckpoint } from '../engine/checkpoint';
import { sampleIds, surprisal } from '../engine/infer';
import { configOf, restoreRun } from '../engine/snapshot';
import { UNKNOWN_ID } from '../engine/tokens';
import { num, UsageError } from './args';

export const SAMPLE_USAGE = 'lstm-lab sample CHECKPOINT [--length N] [--temperature X] [--top-k N] [--argmax] [--prime TEXT] [--stop TOKEN] [--seed N]';
export const EVAL_USAGE = 'lstm-lab eval CHECKPOINT FILE [--json]';

async function open(path: string) {
  await initBackend('wasm', findWasmDir(__dirname));
  const ckpt = await loadCheckpoint(path);
  return restoreRun(ckpt, configOf(ckpt));
}

export async function sample(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      length: { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, argmax: { type: 'boolean' },
      prime: { type: 'string' }, stop: { type: 'string' }, seed: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('sample needs exactly one CHECKPOINT');
  const length = num(v.length, 'length') ?? 500;
  const temperature = num(v.temperature, 'temperature') ?? 1;
  const topK = num(v['top-k'], 'top-k') ?? 0;
  if (!(length >= 1 && length <= 1e6 && Number.isInteger(length))) throw new UsageError('--length must be a whole number from 1 to 1000000');
  if (!(temperature > 0 && temperature <= 100)) throw new UsageError('--temperature must be above 0 and at most 100');
  if (!(topK >= 0 && Number.isInteger(topK))) throw new UsageError('--top-k must be a whole number (0 = all)');
  const run = await open(positionals[0]);
  const { codec } = run;
  const prime = v.prime ? codec.encode(v.prime) : undefined;
  let stopId: number | undefined;
  if (v.stop !== undefined) {
    const ids = codec.encode(v.stop);
    if (ids.length !== 1 || ids[0] === UNKNOWN_ID) throw new UsageError(`--stop must be one token the model knows, got ${JSON.stringify(v.stop)}`);
    stopId = ids[0];
  }
  const ids = sampleIds(run.model, codec.vocab, { length, temperature, topK, argmax: Boolean(v.argmax), prime, stopId, seed: num(v.seed, 'seed') ?? 1 });
  process.stdout.write((v.prime ?? '') + codec.decode(ids) + '\n');
  run.model.dispose();
}

export async function evaluateFile(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length !== 2) throw new UsageError('eval needs a CHECKPOINT and a FILE');
  const [ckptPath, file] = positionals;
  const text = fs.readFileSync(file, 'utf8');
  const run = await open(ckptPath);
  const ids = run.codec.encode(text);
  if (ids.length < 2) throw new Error(`${file} has fewer than two tokens`);
  const bits = surprisal(run.model, ids);
  let sum = 0;
  let unknown = 0;
  for (let t = 1; t < ids.length; t++) { sum += bits[t]; if (ids[t] === UNKNOWN_ID) unknown++; }
  const bitsPerToken = sum / (ids.length - 1);
  const result = { file, tokens: ids.length, loss: bitsPerToken * Math.LN2, bitsPerToken, unknownTokens: unknown };
  if (v.json) console.log(JSON.stringify(result));
  else console.log(`${file}: ${ids.length.toLocaleString('en')} tokens, loss ${result.loss.toFixed(4)} nats, ${bitsPerToken.toFixed(4)} bits per token${unknown ? `, ${unknown} unknown tokens` : ''}`);
  run.model.dispose();
}
