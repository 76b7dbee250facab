/**
 * `lstm-lab bench-hover`: how long a hover takes in the engine on a 1 MB document, through the
 * same requests the extension sends (docOpen, span, docEdit, hover), with the default model
 * (LSTM, 1 × 128 units; latency does not depend on what the weights have learnt).
 *
 * Three cases, each reported as p50/p95 in milliseconds and model steps:
 * - cold: a position far from anything read before (a warm-up of W tokens, then the hovered one);
 * - page: the visible lines were read once (as the editor asks when a page is shown), then hovers
 *   anywhere on that page;
 * - typing: a character typed, then a hover just after it.
 * With --while-training, the same model then trains on the document (in the engine's training
 * thread) for --seconds, first alone and then while hovers land every --hover-every ms (default 250; cold, and on a page
 * read after the last weights refresh); reported as `training` (cold) and `trainingPage`, with
 * the training throughput of both runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { findBundle, findWasmDir, initBackend } from '../engine/backend';
import { DEFAULT_TRAIN_CONFIG } from '../protocol/runConfig';
import { Rng } from '../engine/rng';
import type { WorkerToHost } from '../protocol/workerProtocol';
import type { HoverResult } from '../protocol/inspectionMessages';
import { EngineService } from '../worker/engineService';
import { num, UsageError } from './args';

export const BENCH_HOVER_USAGE = 'lstm-lab bench-hover [--corpus FILE] [--bytes N] [--hovers N] [--while-training] [--seconds N] [--hover-every MS] [--json]';

interface Series {
  p50: number;
  p95: number;
  max: number;
  meanSteps: number;
  n: number;
}

function summarise(ms: number[], steps: number[]): Series {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (x: number) => Math.round(x * 100) / 100;
  return { p50: round(at(0.5)), p95: round(at(0.95)), max: round(sorted[sorted.length - 1]), meanSteps: round(steps.reduce((a, b) => a + b, 0) / steps.length), n: ms.length };
}

export async function benchHover(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    options: { corpus: { type: 'string' }, bytes: { type: 'string' }, hovers: { type: 'string' }, 'while-training': { type: 'boolean' }, seconds: { type: 'string' }, 'hover-every': { type: 'string' }, json: { type: 'boolean' } },
  });
  const corpus = v.corpus ?? path.join(__dirname, '..', 'samples', 'shakespeare.txt');
  if (!fs.existsSync(corpus)) throw new UsageError(`corpus ${corpus} not found (--corpus FILE)`);
  const size = num(v.bytes, 'bytes') ?? 1 << 20;
  const hovers = num(v.hovers, 'hovers') ?? 200;
  let text = fs.readFileSync(corpus, 'utf8');
  while (text.length < size) text += text;
  text = text.slice(0, size);
  await initBackend('wasm', findWasmDir(__dirname));

  let id = 0;
  const replies = new Map<number, { ok: boolean; result?: unknown; error?: string }>();
  const events: WorkerToHost[] = [];
  const service = new EngineService((m) => {
    if (m.type === 'reply') replies.set(m.id, m);
    else events.push(m);
  }, async () => 'wasm', { trainingScript: findBundle(__dirname, 'trainingWorker.js'), wasmDir: findWasmDir(__dirname) });
  const ask = async <T>(m: Record<string, unknown>): Promise<T> => {
    const n = ++id;
    await service.handle({ ...m, id: n } as never);
    const r = replies.get(n)!;
    if (!r.ok) throw new Error(r.error);
    return r.result as T;
  };
  // One training step gives the service a model of the default shape and the corpus's vocabulary.
  await ask({ type: 'train', runId: 'bench', text: text.slice(0, 200_000), config: { ...DEFAULT_TRAIN_CONFIG, maxSteps: 1, maxSeconds: 0, valEvery: 1000, sampleEvery: 0, gradEvery: 0 } });
  while (!events.some((e) => e.type === 'done')) await new Promise((r) => setTimeout(r, 20));

  const rng = new Rng(7);
  const timed = async (m: Record<string, unknown>) => {
    const t0 = performance.now();
    const r = await ask<HoverResult>(m);
    return { ms: performance.now() - t0, steps: r.steps };
  };
  const collect = () => ({ ms: [] as number[], steps: [] as number[] });
  const add = (s: ReturnType<typeof collect>, r: { ms: number; steps: number }) => { s.ms.push(r.ms); s.steps.push(r.steps); };

  // Cold: a fresh copy of the document for every hover, so nothing has been read.
  const cold = collect();
  for (let i = 0; i < Math.max(20, hovers / 4); i++) {
    await ask({ type: 'docOpen', key: 'cold', text });
    add(cold, await timed({ type: 'hover', key: 'cold', offset: Math.floor(rng.next() * (size - 1)), topK: 5 }));
  }

  // Pages of 50 lines: the visible lines are read once, then hovers land anywhere on the page.
  await ask({ type: 'docOpen', key: 'doc', text });
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const page = collect();
  const warmMs: number[] = [];
  const pages = Math.max(1, Math.round(hovers / 20));
  for (let p = 0; p < pages; p++) {
    const first = Math.floor(rng.next() * (lineStarts.length - 60));
    const start = lineStarts[first];
    const end = lineStarts[first + 50];
    const t0 = performance.now();
    await ask({ type: 'span', key: 'doc', start, end });
    warmMs.push(performance.now() - t0);
    for (let h = 0; h < 20; h++) add(page, await timed({ type: 'hover', key: 'doc', offset: start + Math.floor(rng.next() * (end - start)), topK: 5 }));
  }

  // Typing: one character inserted, then a hover just after it (the states after the edit are gone).
  const typing = collect();
  let length = text.length;
  for (let i = 0; i < Math.max(20, hovers / 4); i++) {
    const at = lineStarts[Math.floor(rng.next() * (lineStarts.length - 60))] + 10;
    await ask({ type: 'span', key: 'doc', start: at - 400, end: at + 400 });
    await ask({ type: 'docEdit', key: 'doc', changes: [{ offset: at, removed: 0, text: 'e' }], length: ++length });
    add(typing, await timed({ type: 'hover', key: 'doc', offset: at + 1, topK: 5 }));
  }

  const result: Record<string, unknown> & { workload: Record<string, unknown> & { model: string }; coldMs: Series; pageMs: Series; typingMs: Series; pageReadMs: Series } = {
    workload: { corpus: path.basename(corpus), characters: size, model: 'lstm 1×128', every: 32, warmup: 256 },
    coldMs: summarise(cold.ms, cold.steps),
    pageMs: summarise(page.ms, page.steps),
    typingMs: summarise(typing.ms, typing.steps),
    pageReadMs: summarise(warmMs, warmMs.map(() => 0)),
  };
  if (v['while-training']) {
    const seconds = num(v.seconds, 'seconds') ?? 20;
    const every = num(v['hover-every'], 'hover-every') ?? 250;
    const train = async (runId: string, during?: () => Promise<void>) => {
      const config = { ...DEFAULT_TRAIN_CONFIG, maxSteps: 0, maxSeconds: seconds, valEvery: 0, sampleEvery: 0, gradEvery: 0 };
      await ask({ type: 'train', runId, text, config });
      const finished = () => events.some((e) => e.type === 'done' && e.runId === runId);
      while (!finished()) {
        if (during) await during();
        else await new Promise((r) => setTimeout(r, 50));
      }
      return (events.find((e) => e.type === 'done' && e.runId === runId) as { charsPerSec: number }).charsPerSec;
    };
    const alone = await train('alone');
    const coldT = collect();
    const pageT = collect();
    let turn = 0;
    const withHovers = await train('hovered', async () => {
      if (turn++ % 2 === 0) {
        await ask({ type: 'docOpen', key: 'cold', text });
        add(coldT, await timed({ type: 'hover', key: 'cold', offset: Math.floor(rng.next() * (size - 1)), topK: 5 }));
      } else {
        // A page the editor has shown: read once (as it asks when the weights change), then hovered.
        const first = Math.floor(rng.next() * (lineStarts.length - 60));
        await ask({ type: 'span', key: 'doc', start: lineStarts[first], end: lineStarts[first + 50] });
        add(pageT, await timed({ type: 'hover', key: 'doc', offset: lineStarts[first] + Math.floor(rng.next() * (lineStarts[first + 50] - lineStarts[first])), topK: 5 }));
      }
      await new Promise((r) => setTimeout(r, every));
    });
    result.training = summarise(coldT.ms, coldT.steps);
    result.trainingPage = summarise(pageT.ms, pageT.steps);
    result.trainingCharsPerSec = { alone: Math.round(alone), withHovers: Math.round(withHovers), ratio: +(withHovers / alone).toFixed(3), hoverEveryMs: every };
    // The whole process: this (engine) thread with its copy and kept states, and the training thread.
    result.peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  }
  await service.dispose();
  if (v.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const row = (name: string, s: Series) => `${name.padEnd(34)} p50 ${s.p50.toFixed(1).padStart(6)} ms   p95 ${s.p95.toFixed(1).padStart(6)} ms   max ${s.max.toFixed(1).padStart(6)} ms   ${s.meanSteps.toFixed(1).padStart(6)} steps   n ${s.n}`;
  console.log(`hover latency on ${(size / 1048576).toFixed(2)} MB of ${path.basename(corpus)} (engine, ${result.workload.model}):`);
  console.log(row('cold (nothing read near)', result.coldMs));
  console.log(row('on a page already shown', result.pageMs));
  console.log(row('right after typing', result.typingMs));
  console.log(`reading a page of 50 lines once: p50 ${result.pageReadMs.p50.toFixed(1)} ms, p95 ${result.pageReadMs.p95.toFixed(1)} ms`);
  if (result.training) {
    console.log(row('while training, cold', result.training as Series));
    console.log(row('while training, on a page', result.trainingPage as Series));
    const c = result.trainingCharsPerSec as { alone: number; withHovers: number; ratio: number; hoverEveryMs: number };
    console.log(`training: ${c.alone} chars/s alone, ${c.withHovers} with a hover every ${c.hoverEveryMs} ms (${(100 * c.ratio).toFixed(1)}%)`);
    console.log(`peak memory of the engine and training threads together: ${String(result.peakRssMB)} MB`);
  }
}
