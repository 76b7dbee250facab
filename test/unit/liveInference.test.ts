/**
 * Inference while a run trains: the run trains in its own thread, so a hover asked while a long
 * step is in flight is answered before the step ends; the engine's copy of the model takes the
 * weights the training thread sends after steps, its kept document states go with the old
 * weights, and refreshing leaks no tensors.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { findBundle, findWasmDir } from '../../src/engine/backend';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../src/protocol/runConfig';
import type { HoverResult } from '../../src/protocol/inspectionMessages';
import type { DoneEvent, EngineStats, StepsEvent, TrainAccepted, WorkerToHost } from '../../src/protocol/workerProtocol';
import { EngineService } from '../../src/worker/engineService';
import { useWasm } from './helpers/backend';

before(useWasm);

const services: EngineService[] = [];
after(() => Promise.all(services.map((s) => s.dispose())));

function harness() {
  const events: WorkerToHost[] = [];
  const service = new EngineService((m) => events.push(m), async () => 'wasm', { trainingScript: findBundle(__dirname, 'trainingWorker.js'), wasmDir: findWasmDir(__dirname) });
  services.push(service);
  let id = 0;
  const ask = async <T>(m: Record<string, unknown>): Promise<T> => {
    const n = ++id;
    await service.handle({ ...m, id: n } as never);
    const r = events.find((e) => e.type === 'reply' && e.id === n) as { ok: boolean; result?: unknown; error?: string };
    if (!r.ok) throw new Error(r.error);
    return r.result as T;
  };
  const waitFor = <T extends WorkerToHost>(pred: (e: WorkerToHost) => boolean, timeoutMs = 120_000) => new Promise<T>((resolve, reject) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      const e = events.find(pred);
      if (e) { clearInterval(poll); resolve(e as T); } else if (Date.now() - t0 > timeoutMs) { clearInterval(poll); reject(new Error('timed out')); }
    }, 5);
  });
  return { events, service, ask, waitFor };
}

const text = 'the quick brown fox jumps over the lazy dog, and the dog sleeps on. '.repeat(400);

test('a hover asked while a long training step is in flight is answered before the step ends', async () => {
  const h = harness();
  await h.ask({ type: 'docOpen', key: 'doc', text });
  // A deliberately slow step: TensorFlow.js kernels, 512 units, 64 streams × 128 steps (seconds
  // each, on a fast machine too).
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, kernels: 'tfjs', hiddenSize: 512, batchSize: 64, seqLength: 128, maxSteps: 1, maxSeconds: 0, valEvery: 0, sampleEvery: 0, gradEvery: 0 };
  const accepted = await h.ask<TrainAccepted>({ type: 'train', runId: 'slow', text, config });
  assert.equal(accepted.runId, 'slow');
  // The first step starts right after the run is accepted. A timer of 300 ms, then hovers: were the
  // step on this thread, the timer would fire only when the step ended.
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const hovers: number[] = [];
  for (let k = 0; k < 5; k++) {
    const s = performance.now();
    const r = await h.ask<HoverResult>({ type: 'hover', key: 'doc', offset: 100 + 37 * k, topK: 5 });
    hovers.push(performance.now() - s);
    assert.equal(r.runId, 'slow');
    assert.equal(r.weightsStep, 0, 'answered by the weights from before the first step');
  }
  const hoveredFor = performance.now() - t0;
  const steps = await h.waitFor<StepsEvent>((e) => e.type === 'steps');
  const firstStepMs = steps.points[0].seconds * 1000;
  assert.ok(firstStepMs > 1000, `the step is long (${firstStepMs} ms)`);
  assert.ok(hoveredFor < firstStepMs / 2, `a 300 ms wait and five hovers took ${hoveredFor.toFixed(0)} ms while one step took ${firstStepMs} ms (${hovers.map((x) => x.toFixed(0)).join(', ')})`);
  await h.waitFor<DoneEvent>((e) => e.type === 'done');
});

test('the engine\'s copy follows the run: hovers report newer weights, kept states go with the old ones, no tensors leak', async () => {
  const h = harness();
  await h.ask({ type: 'docOpen', key: 'doc', text });
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 32, batchSize: 8, seqLength: 32, maxSteps: 0, maxSeconds: 4, valEvery: 0, sampleEvery: 0, gradEvery: 0 };
  await h.ask<TrainAccepted>({ type: 'train', runId: 'live', text, config });
  const tensorsAtStart = (await h.ask<EngineStats>({ type: 'stats' })).numTensors;
  const seen: number[] = [];
  let cachedOnce = false;
  let droppedOnRefresh = false;
  let last: HoverResult | undefined;
  while (!h.events.some((e) => e.type === 'done')) {
    const r = await h.ask<HoverResult>({ type: 'hover', key: 'doc', offset: 2000, topK: 3 });
    if (last && r.weightsStep === last.weightsStep && r.cached) cachedOnce = true;
    if (last && r.weightsStep !== last.weightsStep && !r.cached) droppedOnRefresh = true;
    seen.push(r.weightsStep);
    last = r;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const done = h.events.find((e) => e.type === 'done') as DoneEvent;
  assert.equal(done.reason, 'completed');
  const distinct = new Set(seen);
  assert.ok(distinct.size >= 5, `hovers saw the weights of ${distinct.size} different steps over 4 s (${[...distinct].slice(0, 8).join(', ')}…)`);
  assert.ok(seen.every((s, i) => i === 0 || s >= seen[i - 1]), 'the weights only move forward');
  assert.ok(cachedOnce, 'between refreshes a hover reads from the kept state');
  assert.ok(droppedOnRefresh, 'after a refresh the kept state is read again');
  // The copy ends with the run's last weights.
  const final = await h.ask<HoverResult>({ type: 'hover', key: 'doc', offset: 2000, topK: 3 });
  assert.equal(final.weightsStep, done.steps);
  const tensorsAtEnd = (await h.ask<EngineStats>({ type: 'stats' })).numTensors;
  assert.ok(tensorsAtEnd <= tensorsAtStart, `tensors: ${tensorsAtStart} at the start, ${tensorsAtEnd} after ${distinct.size} refreshes`);
});

test('a stop sent right behind the train request stops the run at once', async () => {
  const h = harness();
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 16, batchSize: 4, seqLength: 16, maxSteps: 0, maxSeconds: 60, valEvery: 0, sampleEvery: 0, gradEvery: 0 };
  // Not awaited: the stop arrives while the engine is still starting the run.
  const training = h.service.handle({ type: 'train', id: 1001, runId: 'quick', text, config });
  await h.service.handle({ type: 'stop', id: 1002 });
  await training;
  const done = await h.waitFor<DoneEvent>((e) => e.type === 'done', 20_000);
  assert.equal(done.reason, 'stopped');
  assert.ok(done.steps <= 1, `stopped after ${done.steps} steps`);
});
