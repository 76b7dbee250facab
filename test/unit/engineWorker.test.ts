/** The host-side worker handle against the real bundled worker (dist/worker.js). */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { DEFAULT_TRAIN_CONFIG } from '../../src/protocol/runConfig';
import type { DoneEvent, WorkerToHost } from '../../src/protocol/workerProtocol';
import { EngineWorker } from '../../src/worker/engineWorker';

const dist = path.join(__dirname, '..', '..');
const text = 'to be or not to be, that is the question. '.repeat(80);
const config = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 16, batchSize: 4, seqLength: 16, maxSeconds: 0, maxSteps: 40, valEvery: 20, sampleEvery: 0 };

function nextDone(w: EngineWorker): Promise<DoneEvent> {
  return new Promise((resolve) => {
    const on = (e: WorkerToHost) => { if (e.type === 'done') { w.off('event', on); resolve(e); } };
    w.on('event', on);
  });
}

test('starts lazily, trains, streams events and answers predictions', async () => {
  const w = new EngineWorker(path.join(dist, 'worker.js'), path.join(dist, 'wasm'));
  assert.equal(w.started, false);
  const types = new Set<string>();
  w.on('event', (e) => types.add(e.type));
  const done = nextDone(w);
  const accepted = await w.train({ runId: 'a', text, config });
  assert.equal(w.started, true);
  assert.match(accepted.backend, /^wasm/);
  assert.equal((await done).steps, 40);
  assert.ok(types.has('steps') && types.has('val'));
  const p = await w.predict({ context: 'to be or not to b', next: 'e', topK: 3 });
  assert.equal(p.top.length, 3);
  assert.ok(p.actual && p.actual.p > 0 && p.actual.p <= 1);
  w.dispose();
});

test('a worker that dies is reported, pending requests fail, and the next request starts a new one', async () => {
  const w = new EngineWorker(path.join(dist, 'worker.js'), path.join(dist, 'wasm'));
  await w.train({ runId: 'a', text, config: { ...config, maxSteps: 0, maxSeconds: 30 } });
  const crash = new Promise<string>((resolve) => w.once('crash', resolve));
  const pending = w.predict({ context: 'to', next: null, topK: 2 }, 30_000);
  // Kill the thread behind the handle's back, as an out-of-memory abort would.
  await (w as unknown as { worker: Worker }).worker.terminate();
  assert.match(await crash, /exited/);
  await assert.rejects(pending, /exited/);
  assert.equal(w.started, false);
  const done = nextDone(w);
  await w.train({ runId: 'b', text, config: { ...config, maxSteps: 5 } });
  assert.equal((await done).reason, 'completed');
  w.dispose();
});

test('a request to a disposed handle is refused', async () => {
  const w = new EngineWorker(path.join(dist, 'worker.js'), path.join(dist, 'wasm'));
  w.dispose();
  await assert.rejects(w.predict({ context: 'a', next: null, topK: 1 }), /disposed/);
});
