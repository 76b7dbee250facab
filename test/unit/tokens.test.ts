import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCharVocabulary, codePoints, decode, encode, UNKNOWN_ID, UNKNOWN_TOKEN } from '../../src/engine/tokens';

test('code points keep astral characters whole and record UTF-16 offsets', () => {
  const { chars, offsets } = codePoints('a😀b\r\n');
  assert.deepEqual(chars, ['a', '😀', 'b', '\r', '\n']);
  assert.deepEqual([...offsets], [0, 1, 3, 4, 5]);
});

test('vocabulary: unknown first, then sorted distinct code points', () => {
  const v = buildCharVocabulary('banana 😀');
  assert.deepEqual(v.tokens, [UNKNOWN_TOKEN, ' ', 'a', 'b', 'n', '😀']);
  assert.equal(v.idOf('a'), 2);
  assert.equal(v.idOf('z'), UNKNOWN_ID);
});

test('encode/decode round-trips known text and maps unseen characters to unknown', () => {
  const v = buildCharVocabulary('héllo wörld 👋');
  const ids = encode('wörld 👋', v);
  assert.equal(ids.length, 7);
  assert.equal(decode(ids, v), 'wörld 👋');
  assert.deepEqual([...encode('x', v)], [UNKNOWN_ID]);
});

test('vocabulary cap keeps the most frequent characters', () => {
  const v = buildCharVocabulary('aaaaabbbbcccdde', 4);
  assert.equal(v.size, 4);
  assert.deepEqual(v.tokens.slice(1), ['a', 'b', 'c']);
  assert.equal(v.idOf('e'), UNKNOWN_ID);
});

test('U+FFFD in the text is the unknown token, listed once', () => {
  const v = buildCharVocabulary('ab\uFFFDc');
  assert.deepEqual(v.tokens, [UNKNOWN_TOKEN, 'a', 'b', 'c']);
  assert.equal(v.idOf('\uFFFD'), UNKNOWN_ID);
});
