/** Entry of the engine worker thread: tfjs on the wasm backend, driven by the host's messages. */
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../engine/backend';
import type { HostToWorker, WorkerToHost } from '../protocol/workerProtocol';
import { EngineService } from './engineService';

interface WorkerData {
  wasmDir: string;
  backend?: 'wasm' | 'cpu';
}

const port = parentPort;
if (!port) throw new Error('the engine must run in a worker thread');
const data = workerData as WorkerData;
let backend: Promise<string> | undefined;
const ensureBackend = () => (backend ??= initBackend(data.backend ?? 'wasm', data.wasmDir).then((info) => `${info.name}${info.simd ? ' (simd)' : ''}`));

const post = (message: WorkerToHost) => port.postMessage(message);
const service = new EngineService(post, ensureBackend, { trainingScript: path.join(__dirname, 'trainingWorker.js'), wasmDir: data.wasmDir, backend: data.backend });
port.on('message', (message: HostToWorker) => void service.handle(message));
