import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_TRAIN_CONFIG } from '../../src/protocol/runConfig';
import { PanelState } from '../../src/panel/panelState';
import { formOf, type RunInfo } from '../../src/protocol/webviewProtocol';
import { RunStore, type RunRecord } from '../../src/runs/runStore';

const form = formOf(DEFAULT_TRAIN_CONFIG);
const run: RunInfo = {
  runId: 'run-1', fileName: 'prose.txt', startedAt: 1000, cell: 'lstm', layers: 1, hiddenSize: 16, seqLength: 16, batchSize: 4,
  learningRate: 0.002, vocabSize: 30, trainTokens: 900, valTokens: 100,
};

test('panel state: train and validation points keep their seconds, and send them to the panel', () => {
  const state = new PanelState(form);
  state.beginRun(run, form);
  const sent = state.addSteps('run-1', [{ step: 1, loss: 3, gradNorm: 1, seconds: 0.25 }, { step: 2, loss: 2.9, gradNorm: 1, seconds: 0.5 }], 100);
  assert.deepEqual(sent?.type === 'metrics' && sent.train, [{ step: 1, loss: 3, seconds: 0.25 }, { step: 2, loss: 2.9, seconds: 0.5 }]);
  const val = state.addVal('run-1', { step: 2, loss: 3.1, seconds: 0.5 });
  assert.deepEqual(val?.type === 'metrics' && val.val, [{ step: 2, loss: 3.1, seconds: 0.5 }]);
  // A time that is not one is left out, not passed on.
  state.addSteps('run-1', [{ step: 3, loss: 2.8, gradNorm: 1, seconds: Number.NaN }, { step: 4, loss: 2.7, gradNorm: 1, seconds: -1 }], 100);
  state.addVal('run-1', { step: 4, loss: 3 });
  const snap = state.snapshot();
  assert.deepEqual(snap.train.map((p) => p.seconds), [0.25, 0.5, undefined, undefined]);
  assert.deepEqual(snap.val, [{ step: 2, loss: 3.1, seconds: 0.5 }, { step: 4, loss: 3 }]);
  assert.ok(!('seconds' in snap.train[2]!), 'no seconds key at all when unknown');
});

test('panel state: a resumed run counts its seconds on from its history; a new run starts from 0', () => {
  const state = new PanelState(form);
  const history = { train: [{ step: 1, loss: 3, seconds: 10 }, { step: 2, loss: 2.9, seconds: 20 }], val: [{ step: 2, loss: 3.1, seconds: 20.5 }], gradHistory: [], sample: null };
  state.beginRun(run, form, history);
  // The worker's clock starts again at 0 in the resumed loop.
  state.addSteps('run-1', [{ step: 3, loss: 2.8, gradNorm: 1, seconds: 1.5 }], 100);
  state.addVal('run-1', { step: 3, loss: 3, seconds: 1.5 });
  const snap = state.snapshot();
  assert.deepEqual(snap.train.map((p) => p.seconds), [10, 20, 22]);
  assert.deepEqual(snap.val.map((p) => p.seconds), [20.5, 22]);
  assert.equal(history.train.length, 2, 'the history given is not changed');

  state.beginRun({ ...run, runId: 'run-2' }, form);
  state.addSteps('run-2', [{ step: 1, loss: 3, gradNorm: 1, seconds: 1.5 }], 100);
  assert.deepEqual(state.snapshot().train, [{ step: 1, loss: 3, seconds: 1.5 }]);
  // A history from before points had seconds: the new points count from 0.
  state.beginRun({ ...run, runId: 'run-3' }, form, { train: [{ step: 1, loss: 3 }], val: [], gradHistory: [], sample: null });
  state.addSteps('run-3', [{ step: 2, loss: 3, gradNorm: 1, seconds: 2 }], 100);
  assert.deepEqual(state.snapshot().train, [{ step: 1, loss: 3 }, { step: 2, loss: 3, seconds: 2 }]);
});

test('run store: the seconds of the points are kept on disk', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lab-seconds-'));
  try {
    const record: RunRecord = {
      version: 1, run, config: { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 16 }, documentUri: 'file:///prose.txt', status: 'completed', message: null,
      train: [{ step: 1, loss: 3, seconds: 0.25 }, { step: 2, loss: 2.9 }], val: [{ step: 2, loss: 3.1, seconds: 0.5 }],
      gradHistory: [], sample: null, bestValLoss: 3.1, checkpointStep: null, updatedAt: 2000,
    };
    await new RunStore(dir).save(record);
    const store = new RunStore(dir);
    await store.open();
    const back = await store.get('run-1');
    assert.deepEqual(back?.train, record.train);
    assert.deepEqual(back?.val, record.val);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
