import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestTracker } from '../../src/protocol/messages';
import { emptySnapshot, parseWebviewMessage } from '../../src/protocol/webviewProtocol';
import { metricsCsv, metricsJson } from '../../src/panel/exportMetrics';
import { validateTrainConfig } from '../../src/settings';
import { DEFAULT_TRAIN_CONFIG } from '../../src/engine/defaults';

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
    ...emptySnapshot(),
    train: [{ step: 1, loss: 4.1 }, { step: 2, loss: 3.9 }, { step: 3, loss: 3.5 }],
    val: [{ step: 2, loss: 4.0 }, { step: 5, loss: 3.6 }],
    gradHistory: [{ step: 2, h: [1, 0.5], c: [], clipped: true }],
  };
  assert.equal(metricsCsv(snapshot), 'step,train_loss_nats,val_loss_nats\n1,4.1,\n2,3.9,4\n3,3.5,\n5,,3.6\n');
  const json = JSON.parse(metricsJson(snapshot));
  assert.deepEqual(json.train, snapshot.train);
  assert.deepEqual(json.gradFlow, snapshot.gradHistory);
});
