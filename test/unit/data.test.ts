import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitBatching, splitTrainVal, StreamBatcher } from '../../src/engine/data';
import { checkTrainingText, MIN_CHARS } from '../../src/shared/textCheck';

const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

test('windows are time-major, targets are the next token, streams continue across windows', () => {
  const B = 3, T = 4;
  const ids = range(3 * 2 * T + 1); // two windows per stream
  const s = new StreamBatcher(ids, B, T);
  assert.equal(s.streamLength, 8);
  assert.equal(s.windowsPerEpoch, 2);
  const w0 = s.next();
  const w1 = s.next();
  assert.equal(w0.resetState, true);
  assert.equal(w1.resetState, false);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      assert.equal(w0.x[t * B + b], b * 8 + t);
      assert.equal(w0.y[t * B + b], b * 8 + t + 1);
      // Window 1 of stream b starts right after window 0 of stream b.
      assert.equal(w1.x[t * B + b], b * 8 + T + t);
    }
  }
  const w2 = s.next();
  assert.equal(w2.resetState, true, 'a new epoch resets the carried state');
  assert.equal(s.epoch, 1);
  assert.deepEqual(w2.x, w0.x);
});

test('too little data for one window is refused', () => {
  assert.throws(() => new StreamBatcher(range(10), 4, 4), /too few/);
});

test('fitBatching shrinks streams first, then window length', () => {
  assert.deepEqual(fitBatching(100_000, 32, 64), { batch: 32, steps: 64 });
  assert.deepEqual(fitBatching(600, 32, 64), { batch: 8, steps: 64 });
  assert.deepEqual(fitBatching(40, 32, 64), { batch: 1, steps: 32 });
});

test('validation split holds out the tail', () => {
  const { train, val } = splitTrainVal(range(100), 0.1);
  assert.equal(train.length, 90);
  assert.deepEqual([...val], [90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
  assert.equal(splitTrainVal(range(10), 0.1).val.length, 0, 'a one-token tail is not held out');
});

test('text check refuses empty, binary, too short and single-character texts with a reason', () => {
  assert.match(checkTrainingText('', 1000).reason!, /empty/);
  assert.match(checkTrainingText('abc\u0000def'.repeat(10), 1000).reason!, /binary/);
  assert.match(checkTrainingText('abc', 1000).reason!, new RegExp(`at least ${MIN_CHARS}`));
  assert.match(checkTrainingText('z'.repeat(500), 1000).reason!, /single distinct character/);
  const ok = checkTrainingText('the quick brown fox jumps over the lazy dog', 1000);
  assert.equal(ok.ok, true);
  assert.equal(ok.truncated, false);
});

test('long texts are cut to a prefix without splitting a surrogate pair', () => {
  const text = 'ab'.repeat(30) + '😀' + 'cd'.repeat(30);
  const r = checkTrainingText(text, 61); // 61 would end inside the emoji
  assert.equal(r.ok, true);
  assert.equal(r.truncated, true);
  assert.equal(r.text.length, 60);
  assert.equal(r.originalLength, text.length);
});
