// A crash while the engine writes a checkpoint: the engine trains in a child process that writes a
// checkpoint between every two steps, and is killed (SIGKILL) while it writes one. The checkpoint
// file then holds a whole earlier checkpoint that loads and resumes training.
// (The half-written temporary file, and its removal by the next save, are checked step by step
// in checkpoint.test.ts.)
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { findBundle, findWasmDir } from '../../src/engine/backend';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../src/protocol/runConfig';
import { resumeRun } from '../../src/engine/resume';
import { trainLoop } from '../../src/engine/run';
import type { WorkerToHost } from '../../src/protocol/workerProtocol';
import { EngineService } from '../../src/worker/engineService';
import { useWasm } from './helpers/backend';

/** Set in the child process: the checkpoint path it trains towards. */
const CHILD_ENV = 'LSTM_LAB_FAULT_CHECKPOINT';

const text = 'It was the best of times, it was the worst of times, it was the age of wisdom. '.repeat(60);
// Wide enough that writing a checkpoint (weights and Adam slots, about 5 MB) takes a good part of each step.
const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 320, batchSize: 4, seqLength: 8, maxSeconds: 120, valEvery: 1_000_000, sampleEvery: 0, gradEvery: 0 };

/** The child: trains and checkpoints between every two steps until it is killed. */
async function child(checkpointPath: string): Promise<void> {
  await useWasm();
  const service = new EngineService((m: WorkerToHost) => {
    if (m.type === 'checkpoint') process.send!({ checkpoint: m.step });
    // Info lines (which kernels train) are expected; a warning or an error is not.
    if ((m.type === 'log' && m.level !== 'info') || m.type === 'done' || (m.type === 'reply' && !m.ok)) process.send!({ unexpected: m });
  }, async () => 'wasm', { trainingScript: findBundle(__dirname, 'trainingWorker.js'), wasmDir: findWasmDir(__dirname) });
  await service.handle({ type: 'train', id: 1, runId: 'run-crash', text, config, checkpointPath, checkpointEveryMs: 1 });
}

if (process.env[CHILD_ENV]) {
  void child(process.env[CHILD_ENV]);
} else {
  before(useWasm);

  test('the engine killed while it writes a checkpoint: the checkpoint on disk is the previous one, whole, and it loads and resumes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lab-crash-'));
    const checkpointPath = path.join(dir, 'run-crash.ckpt');
    let midWrite = 0;
    let attempts = 0;
    try {
      // Until three kills landed inside a write (a temporary file was left), at most 8 tries.
      while (midWrite < 3 && attempts < 8) {
        attempts += 1;
        const proc = fork(__filename, [], { env: { ...process.env, [CHILD_ENV]: checkpointPath }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
        // Checkpoints of this attempt that were renamed into place (and reported).
        const written: number[] = [];
        await new Promise<void>((resolve, reject) => {
          proc.on('message', (m: { checkpoint?: number; unexpected?: unknown }) => {
            if (m.unexpected) reject(new Error(`the engine reported ${JSON.stringify(m.unexpected)}`));
            if (m.checkpoint !== undefined && written.push(m.checkpoint) === 2) resolve();
          });
          proc.once('exit', (code) => reject(new Error(`the engine exited (${code}) before two checkpoints`)));
        });
        // The moment the next write creates its temporary file, or a little later: writes are
        // short next to the steps, so a kill at a random time would seldom land inside one.
        const prefix = `.run-crash.ckpt.${proc.pid}-`;
        await new Promise<void>((resolve) => {
          const watcher = fs.watch(dir, (_event, name) => {
            if (!name?.startsWith(prefix)) return;
            watcher.close();
            setTimeout(resolve, attempts % 3);
          });
        });
        proc.kill('SIGKILL');
        assert.equal(await exited, 'SIGKILL');
        const leftover = fs.readdirSync(dir).filter((f) => f.startsWith(`.run-crash.ckpt.${proc.pid}-`));
        if (leftover.length > 0) midWrite += 1;

        const ckpt = await loadCheckpoint(checkpointPath);
        const step = ckpt.config.step as number;
        assert.ok(step >= written[written.length - 1], `the checkpoint (step ${step}) is no older than the last one reported written (${written[written.length - 1]})`);
        assert.equal(ckpt.metrics.train.length, step, 'its history reaches its step');
        const resumed = await resumeRun(ckpt, text, { ...config, maxSteps: 2 });
        assert.equal(resumed.step, step);
        const summary = await trainLoop(resumed.run, { ...config, maxSteps: 2 }, {}, { trainer: resumed.trainer, step: resumed.step });
        assert.equal(summary.reason, 'completed', summary.message);
        assert.equal(summary.steps, step + 2, 'training continues from the checkpoint');
        summary.trainer.dispose();
        resumed.run.model.dispose();
        // What the killed process left is removed, as the next save would.
        for (const f of leftover) fs.rmSync(path.join(dir, f));
      }
      assert.ok(midWrite >= 3, `three kills landed inside a write (${midWrite} of ${attempts})`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
