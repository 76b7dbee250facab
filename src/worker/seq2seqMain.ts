/** Entry of the sequence-to-sequence thread, started by the extension host: its tfjs backend and Seq2SeqRunner. */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../engine/backend';
import { yieldToEditor } from '../shared/threadPriority';
import type { ToSeq2Seq } from '../protocol/seq2seqMessages';
import { Seq2SeqRunner } from './seq2seqRunner';

const port = parentPort;
if (!port) throw new Error('the sequence-to-sequence runner must run in a worker thread');
// The editor's threads come first on a busy machine.
yieldToEditor();
const { wasmDir } = workerData as { wasmDir: string };
let backend: Promise<void> | undefined;
const ready = () => (backend ??= initBackend('wasm', wasmDir).then(() => undefined));
const runner = new Seq2SeqRunner((m) => port.postMessage(m), ready, wasmDir);
port.on('message', (m: ToSeq2Seq) => void runner.handle(m));
