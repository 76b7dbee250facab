/**
 * Training threads lower their own priority and only their own: the thread that calls
 * yieldToEditor (and a thread it starts) runs at TRAINING_NICE while the extension host's thread
 * keeps its priority; on platforms where priority belongs to the process, nothing changes.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { test } from 'node:test';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { TRAINING_NICE, yieldToEditor } from '../../src/shared/threadPriority';

/** The nice value of every thread of this process, by thread id (Linux). */
function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command's closing parenthesis; nice is field 19 of the whole line.
    nices.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return nices;
}

if (!isMainThread) {
  // This file again, as a training thread would run it.
  const port = parentPort!;
  if (workerData === 'trainer') {
    const nice = yieldToEditor();
    const child = new Worker(__filename, { workerData: 'shard' });
    child.once('message', () => port.postMessage({ nice }));
  } else port.postMessage('up');
  setInterval(() => undefined, 60_000);
} else {
  test('a thread that yields runs at the training nice value, so do the threads it starts, and the host thread does not', { skip: process.platform !== 'linux' && 'nice values are per thread on Linux only' }, async () => {
    const before = threadNices();
    const worker = new Worker(__filename, { workerData: 'trainer' });
    const reply = await new Promise<{ nice: number | null }>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
    assert.equal(reply.nice, TRAINING_NICE);
    const lowered = [...threadNices()].filter(([tid, nice]) => !before.has(tid) && nice === TRAINING_NICE);
    assert.equal(lowered.length, 2, 'the yielding thread and the one it started');
    assert.equal(os.getPriority(0), 0, 'the calling (host) thread keeps its priority');
    assert.ok([...before.values()].every((n) => n === 0));
    await worker.terminate();
  });

  test('where priority belongs to the whole process, yieldToEditor changes nothing', () => {
    const before = os.getPriority(0);
    for (const platform of ['darwin', 'win32'] as const) assert.equal(yieldToEditor(platform), null);
    assert.equal(os.getPriority(0), before);
  });
}
