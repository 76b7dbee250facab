// The sequence-to-sequence card's messages as the host reads them: a form with exactly its fields,
// each within the bounds of its `lstmLab.seq2seq.*` setting, a typed source of one bounded line,
// and the card's buttons without payload; anything else is refused with a short reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TYPED_SOURCE } from '../../src/protocol/seq2seqPanel';
import { EDITOR_SETTINGS } from '../../src/protocol/settingsSchema';
import { parseWebviewMessage } from '../../src/protocol/webviewProtocol';

const FORM = { cell: 'gru', layers: 2, hidden: 64, attention: 'additive', bidirectional: true, tokens: 'word', beam: 4, maxSeconds: 30 };

function reason(message: unknown): string {
  const r = parseWebviewMessage(JSON.parse(JSON.stringify(message)));
  assert.equal(r.ok, false, `accepted: ${JSON.stringify(message)}`);
  const why = (r as { reason: string }).reason;
  assert.ok(why.length > 0 && why.length <= 300, why);
  return why;
}

test('a valid form, a typed source and the buttons are accepted as sent', () => {
  assert.deepEqual(parseWebviewMessage({ type: 's2sTrain', form: FORM }), { ok: true, message: { type: 's2sTrain', form: FORM } });
  const { min, max } = EDITOR_SETTINGS['seq2seq.maxSeconds'];
  for (const maxSeconds of [min, max]) assert.ok(parseWebviewMessage({ type: 's2sTrain', form: { ...FORM, maxSeconds } }).ok);
  assert.deepEqual(parseWebviewMessage({ type: 's2sDecode', source: '3 Mar 1999' }), { ok: true, message: { type: 's2sDecode', source: '3 Mar 1999' } });
  assert.ok(parseWebviewMessage({ type: 's2sDecode', source: 'x'.repeat(MAX_TYPED_SOURCE) }).ok);
  for (const type of ['s2sContinue', 's2sCompare', 's2sSave']) assert.deepEqual(parseWebviewMessage({ type }), { ok: true, message: { type } });
});

test('each field out of its bounds or of the wrong kind is refused, naming the field', () => {
  const hidden = EDITOR_SETTINGS['seq2seq.hiddenSize'];
  const bad: [string, unknown, RegExp][] = [
    ['cell', 'transformer', /form\.cell/], ['layers', 3, /form\.layers/], ['layers', '1', /form\.layers/],
    ['hidden', 12, /multiple of 8/], ['hidden', hidden.max + 8, /form\.hidden/], ['hidden', hidden.min - 8, /form\.hidden/], ['hidden', 64.5, /form\.hidden/],
    ['attention', 'luong', /form\.attention/], ['bidirectional', 'yes', /form\.bidirectional/], ['tokens', 'bpe', /form\.tokens/],
    ['beam', 0, /form\.beam/], ['beam', 17, /form\.beam/], ['maxSeconds', 4, /form\.maxSeconds/], ['maxSeconds', Number.NaN, /form\.maxSeconds/],
  ];
  for (const [field, value, why] of bad) assert.match(reason({ type: 's2sTrain', form: { ...FORM, [field]: value } }), why, `${field} = ${String(value)}`);
  const { beam: _dropped, ...missing } = FORM;
  assert.match(reason({ type: 's2sTrain', form: missing }), /lacks beam/);
  assert.match(reason({ type: 's2sTrain', form: { ...FORM, learningRate: 1 } }), /learningRate/);
  assert.match(reason({ type: 's2sTrain', form: FORM, extra: 1 }), /unexpected fields: extra/);
  assert.match(reason({ type: 's2sTrain', form: [FORM] }), /form/);
});

test('a typed source is one line of bounded length; the buttons carry nothing', () => {
  for (const source of ['', '   ', 'a\tb', 'a\nb', 'x'.repeat(MAX_TYPED_SOURCE + 1), 42, null]) assert.match(reason({ type: 's2sDecode', source }), /source/);
  assert.match(reason({ type: 's2sDecode', source: 'ab', id: 1 }), /unexpected fields: id/);
  assert.match(reason({ type: 's2sContinue', runId: 's2s-1' }), /unexpected fields: runId/);
});

test('the run list posts run ids as the host makes them: at most three ticked, one to show or delete', () => {
  assert.deepEqual(parseWebviewMessage({ type: 's2sSelect', runIds: ['s2s-a1', 's2s-b2', 's2s-a1'] }), { ok: true, message: { type: 's2sSelect', runIds: ['s2s-a1', 's2s-b2'] } });
  assert.deepEqual(parseWebviewMessage({ type: 's2sSelect', runIds: [] }), { ok: true, message: { type: 's2sSelect', runIds: [] } });
  assert.match(reason({ type: 's2sSelect', runIds: ['s2s-a', 's2s-b', 's2s-c', 's2s-d'] }), /at most 3/);
  assert.match(reason({ type: 's2sSelect', runIds: ['run-abc'] }), /run ids/);
  assert.match(reason({ type: 's2sSelect', runIds: 's2s-a' }), /run ids/);
  for (const type of ['s2sShow', 's2sDelete']) {
    assert.deepEqual(parseWebviewMessage({ type, runId: 's2s-mx3wpvf8' }), { ok: true, message: { type, runId: 's2s-mx3wpvf8' } });
    for (const runId of ['s2s-', 's2s-../../etc', 'S2S-ABC', 42]) assert.match(reason({ type, runId }), /run id/);
    assert.match(reason({ type, runId: 's2s-a', extra: true }), /unexpected fields: extra/);
  }
});
