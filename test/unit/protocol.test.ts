import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestTracker } from '../../src/protocol/messages';
import { emptySnapshot, formOf, parseWebviewMessage } from '../../src/protocol/webviewProtocol';
import { metricsCsv, metricsJson } from '../../src/panel/exportMetrics';
import { DEFAULT_TRAIN_CONFIG, validateTrainConfig } from '../../src/protocol/runConfig';

test('webview messages: known ones pass, anything else is rejected with a reason', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'stop' }), { ok: true, message: { type: 'stop' } });
  assert.equal(parseWebviewMessage({ type: 'ready' }).ok, true);
  assert.deepEqual(parseWebviewMessage({ type: 'sample', temperature: 0.8 }), { ok: true, message: { type: 'sample', temperature: 0.8 } });
  assert.deepEqual(parseWebviewMessage({ type: 'export', format: 'json' }), { ok: true, message: { type: 'export', format: 'json' } });
  assert.deepEqual(parseWebviewMessage({ type: 'reveal', offset: 42 }), { ok: true, message: { type: 'reveal', offset: 42 } });
  for (const bad of [null, 42, 'stop', [], {}, { type: 7 }, { type: 'eval' }, { type: 'stop', code: 'x' },
    { type: 'sample' }, { type: 'sample', temperature: '1' }, { type: 'sample', temperature: 0 }, { type: 'sample', temperature: 1e9 },
    { type: 'sample', temperature: Number.NaN }, { type: 'sample', temperature: 1, length: 1e9 },
    { type: 'export' }, { type: 'export', format: 'xlsx' }, { type: 'export', format: 'csv', path: '/etc/passwd' },
    { type: 'reveal' }, { type: 'reveal', offset: -1 }, { type: 'reveal', offset: 2.5 }, { type: 'reveal', offset: '3' }]) {
    const r = parseWebviewMessage(bad);
    assert.equal(r.ok, false, JSON.stringify(bad));
    assert.ok(!r.ok && r.reason.length > 0);
  }
});

test('request tracker pairs replies with requests by id', async () => {
  const t = new RequestTracker();
  const sent: { id: number; type: string }[] = [];
  const a = t.request<number>((m) => sent.push(m as never), (id) => ({ type: 'a', id }));
  const b = t.request<number>((m) => sent.push(m as never), (id) => ({ type: 'b', id }));
  assert.equal(t.size, 2);
  assert.equal(t.handleReply({ type: 'reply', id: sent[1].id, ok: true, result: 2 }), true);
  assert.equal(t.handleReply({ type: 'reply', id: sent[0].id, ok: false, error: 'nope' }), true);
  assert.equal(await b, 2);
  await assert.rejects(a, /nope/);
  assert.equal(t.handleReply({ type: 'reply', id: 999, ok: true }), false);
});

test('request tracker times out and fails everything when the other side dies', async () => {
  const t = new RequestTracker();
  await assert.rejects(t.request(() => {}, (id) => ({ id }), 20), /timed out/);
  const p = t.request(() => {}, (id) => ({ id }), 0);
  t.rejectAll('worker died');
  await assert.rejects(p, /worker died/);
  assert.equal(t.size, 0);
});

test('settings validation names each invalid value and falls back to the default', () => {
  const { config, problems } = validateTrainConfig({ hiddenSize: -3, learningRate: 'fast', batchSize: 2.5, seqLength: 16 });
  assert.equal(config.hiddenSize, DEFAULT_TRAIN_CONFIG.hiddenSize);
  assert.equal(config.learningRate, DEFAULT_TRAIN_CONFIG.learningRate);
  assert.equal(config.batchSize, DEFAULT_TRAIN_CONFIG.batchSize);
  assert.equal(config.seqLength, 16);
  assert.equal(problems.length, 3);
  assert.match(problems.join('\n'), /hiddenSize: -3 is outside/);
  assert.match(problems.join('\n'), /learningRate: "fast" is not a number/);
  assert.match(problems.join('\n'), /batchSize: 2.5 is not a whole number/);
  assert.deepEqual(validateTrainConfig({}).problems, []);
});

test('metrics export: CSV rows by step with empty cells, JSON with the run, series and gradient flow', () => {
  const snapshot = {
    ...emptySnapshot(formOf(DEFAULT_TRAIN_CONFIG)),
    train: [{ step: 1, loss: 4.1 }, { step: 2, loss: 3.9 }, { step: 3, loss: 3.5 }],
    val: [{ step: 2, loss: 4.0 }, { step: 5, loss: 3.6 }],
    gradHistory: [{ step: 2, h: [1, 0.5], c: [], clipped: true }],
  };
  assert.equal(metricsCsv(snapshot), 'step,train_loss_nats,val_loss_nats\n1,4.1,\n2,3.9,4\n3,3.5,\n5,,3.6\n');
  const json = JSON.parse(metricsJson(snapshot));
  assert.deepEqual(json.train, snapshot.train);
  assert.deepEqual(json.gradFlow, snapshot.gradHistory);
});

test('webview messages for runs, checkpoints and the configuration form are checked field by field', () => {
  const ok = (m: unknown) => { const r = parseWebviewMessage(m); assert.ok(r.ok, JSON.stringify(m) + (r.ok ? '' : ` → ${r.reason}`)); return r.ok ? r.message : null; };
  const bad = (m: unknown, why: RegExp) => { const r = parseWebviewMessage(m); assert.ok(!r.ok && why.test(r.reason), `${JSON.stringify(m)} → ${r.ok ? 'accepted' : r.reason}`); };
  assert.deepEqual(ok({ type: 'train', config: { cell: 'gru', hiddenSize: 64, learningRate: 0.01 } }), { type: 'train', config: { cell: 'gru', hiddenSize: 64, learningRate: 0.01 } });
  assert.deepEqual(ok({ type: 'train' }), { type: 'train' });
  bad({ type: 'train', config: { cell: 'gru', workers: 4 } }, /unknown config fields: workers/);
  bad({ type: 'train', config: { hiddenSize: '64' } }, /hiddenSize has the wrong type/);
  bad({ type: 'train', config: { hiddenSize: Infinity } }, /hiddenSize has the wrong type/);
  bad({ type: 'train', config: [] }, /config must be an object/);
  bad({ type: 'train', config: {}, extra: 1 }, /unexpected fields: extra/);
  assert.deepEqual(ok({ type: 'resume', runId: 'run-mf0abc' }), { type: 'resume', runId: 'run-mf0abc' });
  bad({ type: 'resume', runId: '../../etc/passwd' }, /not a run id/);
  bad({ type: 'deleteRun' }, /not a run id/);
  assert.deepEqual(ok({ type: 'select', runIds: ['run-a', 'run-b', 'run-a'] }), { type: 'select', runIds: ['run-a', 'run-b'] });
  assert.deepEqual(ok({ type: 'select', runIds: [] }), { type: 'select', runIds: [] });
  bad({ type: 'select', runIds: Array.from({ length: 9 }, (_, i) => `run-${i}`) }, /at most 8/);
  bad({ type: 'select', runIds: 'run-a' }, /list of at most/);
  assert.deepEqual(ok({ type: 'saveCheckpoint' }), { type: 'saveCheckpoint' });
  bad({ type: 'loadCheckpoint', path: '/etc/passwd' }, /unexpected fields: path/);
});

test('the settings validation refuses what the form may send out of range, naming the field', () => {
  const { problems } = validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG, ...{ hiddenSize: 5000, cell: 'transformer' } }, (k) => k);
  assert.equal(problems.length, 2);
  assert.match(problems.find((p) => p.startsWith('hiddenSize'))!, /5000 is outside 4…1024/);
  assert.match(problems.find((p) => p.startsWith('cell'))!, /"transformer" is not one of/);
  assert.deepEqual(Object.keys(formOf(DEFAULT_TRAIN_CONFIG)).sort(), ['batchSize', 'cell', 'clipNorm', 'dropout', 'hiddenSize', 'layers', 'learningRate', 'maxSeconds', 'optimizer', 'seed', 'seqLength', 'tokens']);
});
