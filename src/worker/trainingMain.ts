/** Entry of the training thread, started by the engine thread: its own tfjs backend and TrainingRunner. */
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../engine/backend';
import { yieldToEditor } from '../shared/threadPriority';
import type { ToTrainer } from './trainingMessages';
import { TrainingRunner } from './trainingRunner';

interface TrainingData {
  wasmDir: string;
  backend?: 'wasm' | 'cpu';
}

const port = parentPort;
if (!port) throw new Error('the training runner must run in a worker thread');
// The editor's threads (and the engine thread answering hovers) come first on a busy machine; the
// shard threads this one starts inherit its priority.
yieldToEditor();
const data = workerData as TrainingData;
let backend: Promise<string> | undefined;
const ensureBackend = () => (backend ??= initBackend(data.backend ?? 'wasm', data.wasmDir).then((info) => `${info.name}${info.simd ? ' (simd)' : ''}`));
const runner = new TrainingRunner((m, transfer) => port.postMessage(m, transfer), ensureBackend, { shardScript: path.join(__dirname, 'shardWorker.js'), wasmDir: data.wasmDir });
port.on('message', (m: ToTrainer) => void runner.handle(m));
