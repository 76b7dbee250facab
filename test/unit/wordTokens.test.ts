import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initBackend } from '../../src/engine/backend';
import { prepareRun } from '../../src/engine/run';
import { decode, UNKNOWN_ID, UNKNOWN_TOKEN } from '../../src/engine/tokens';
import { DEFAULT_TRAIN_CONFIG } from '../../src/protocol/runConfig';
import { buildWordVocabulary, encodeTokens, tokenizeWords } from '../../src/engine/wordTokens';

/** Tokens concatenate to the text, none is empty, and each offset is where the token sits. */
function assertLossless(text: string): string[] {
  const { tokens, offsets } = tokenizeWords(text);
  assert.equal(tokens.join(''), text);
  assert.equal(offsets.length, tokens.length);
  let at = 0;
  tokens.forEach((t, i) => {
    assert.ok(t.length > 0, `token ${i} is empty`);
    assert.equal(offsets[i], at, `offset of token ${i} ${JSON.stringify(t)}`);
    assert.equal(text.slice(at, at + t.length), t);
    at += t.length;
  });
  return tokens;
}

test('words, single punctuation and whitespace runs, with UTF-16 offsets', () => {
  const { tokens, offsets } = tokenizeWords('Hello, world!\r\n\tx2  3.14');
  assert.deepEqual(tokens, ['Hello', ',', ' ', 'world', '!', '\r\n\t', 'x2', '  ', '3', '.', '14']);
  assert.deepEqual([...offsets], [0, 5, 6, 7, 12, 13, 16, 18, 20, 21, 22]);
  assert.deepEqual(tokenizeWords("don't snake_case").tokens, ['don', "'", 't', ' ', 'snake', '_', 'case']);
  assert.deepEqual(tokenizeWords('').tokens, []);
});

test('letters of any script, with combining marks, stay in one word', () => {
  assert.deepEqual(tokenizeWords('naïve nai\u0308ve café').tokens, ['naïve', ' ', 'nai\u0308ve', ' ', 'café']);
  assert.deepEqual(tokenizeWords('日本語のテキスト、ok').tokens, ['日本語のテキスト', '、', 'ok']);
  assert.deepEqual(tokenizeWords('Привет мир').tokens, ['Привет', ' ', 'мир']);
  assert.deepEqual(tokenizeWords('𝒳y 𝟚').tokens, ['𝒳y', ' ', '𝟚'], 'astral letters and digits');
  // Persian and Devanagari put zero-width (non-)joiners inside words.
  assert.deepEqual(tokenizeWords('می\u200Cخواهم क्\u200Dष').tokens, ['می\u200Cخواهم', ' ', 'क्\u200Dष']);
});

test('an emoji is one token, never UTF-16 halves, with its modifiers and joined parts', () => {
  const { tokens, offsets } = tokenizeWords('a😀b');
  assert.deepEqual(tokens, ['a', '😀', 'b']);
  assert.deepEqual([...offsets], [0, 1, 3]);
  assert.deepEqual(tokenizeWords('👨\u200D👩\u200D👧❤\uFE0F👍🏽🇯🇵🇫🇷#\uFE0F\u20E3').tokens, ['👨\u200D👩\u200D👧', '❤\uFE0F', '👍🏽', '🇯🇵', '🇫🇷', '#\uFE0F\u20E3']);
  assert.deepEqual(tokenizeWords('!!').tokens, ['!', '!'], 'punctuation is never merged');
});

test('a lone surrogate is kept as a token of its own', () => {
  assert.deepEqual(tokenizeWords('\uD800x\uDC00').tokens, ['\uD800', 'x', '\uDC00']);
});

test('concatenating the tokens gives back the text exactly', () => {
  const samples = [
    'line one\r\nline two\r\n\r\n\tindented\ttab\r',
    'mixed: English, Ελληνικά, العربية, עברית, हिन्दी, 中文, 한국어 — and “quotes”…',
    'e\u0301\u0302 \u0301leading mark, a\u00A0no-break\u2003em-space\u2028line-sep\uFEFFbom',
    '👩🏽\u200D💻 🏳\uFE0F\u200D🌈 🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} 🇺 x\u200D',
    '\uDC00\uD800 broken surrogates \uD83D',
  ];
  for (const text of samples) assertLossless(text);

  // Random strings over a pool that mixes every class, including pieces of surrogate pairs.
  const pool = ['a', 'Z', '7', 'é', '\u0301', ' ', '\t', '\r', '\n', '\u00A0', '.', ',', '—', '日', '😀', '\uD83D', '\uDE00', '\u200D', '\u200C', '\uFE0F', '🏽', '🇯', 'ж'];
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let trial = 0; trial < 300; trial++) {
    let text = '';
    const length = Math.floor(rand() * 40);
    for (let i = 0; i < length; i++) text += pool[Math.floor(rand() * pool.length)];
    assertLossless(text);
  }
});

test('vocabulary: unknown first, then the kept tokens in a fixed order', () => {
  const tokens = tokenizeWords('the cat, the hat. the end').tokens;
  const v = buildWordVocabulary(tokens);
  assert.deepEqual(v.tokens, [UNKNOWN_TOKEN, ' ', ',', '.', 'cat', 'end', 'hat', 'the']);
  assert.equal(v.idOf('the'), 7);
  assert.equal(v.idOf('dog'), UNKNOWN_ID);
});

test('vocabulary cap keeps the most frequent tokens and breaks ties the same way every time', () => {
  const tokens = ['b', 'b', 'b', 'a', 'a', 'c', 'c', 'd', 'd', 'e'];
  const v = buildWordVocabulary(tokens, 4);
  // b (3) is kept; a, c, d tie at 2 and the first two in UTF-16 order win; e (1) is left out.
  assert.deepEqual(v.tokens, [UNKNOWN_TOKEN, 'a', 'b', 'c']);
  assert.deepEqual(buildWordVocabulary([...tokens].reverse(), 4).tokens, v.tokens, 'input order does not matter');
  assert.deepEqual(buildWordVocabulary(tokens, 1).tokens, [UNKNOWN_TOKEN]);
  assert.throws(() => buildWordVocabulary(tokens, 0), RangeError);
  assert.throws(() => buildWordVocabulary(tokens, 2.5), RangeError);
});

test('a U+FFFD in the text is the unknown token, not a second entry', () => {
  const v = buildWordVocabulary(tokenizeWords('a \uFFFD b \uFFFD').tokens);
  assert.deepEqual(v.tokens, [UNKNOWN_TOKEN, ' ', 'a', 'b']);
  assert.equal(v.idOf(UNKNOWN_TOKEN), UNKNOWN_ID);
});

test('encodeTokens maps known tokens to their ids and the rest to unknown', () => {
  const text = 'to be, or not to be\r\n';
  const { tokens } = tokenizeWords(text);
  const v = buildWordVocabulary(tokens);
  const ids = encodeTokens(tokens, v);
  assert.ok(ids instanceof Int32Array);
  assert.equal(ids.length, tokens.length);
  assert.equal(decode(ids, v), text);
  assert.deepEqual([...encodeTokens(tokenizeWords('to go').tokens, v)], [v.idOf('to'), v.idOf(' '), UNKNOWN_ID]);
});

before(async () => { await initBackend('cpu'); });

test('the vocabulary is built from the training tokens, not from the first 90% of the characters', () => {
  // 123 word tokens: the last 12 (from "zeta" on) are held out. One long token at the end makes the
  // first 90% of the characters reach past "zeta", so a character-based cut would leak it.
  const text = `${'a b '.repeat(30)}zeta ${'y'.repeat(60)}`;
  const config = { ...DEFAULT_TRAIN_CONFIG, tokens: 'word' as const, valFraction: 0.1, batchSize: 2, seqLength: 4 };
  const run = prepareRun(text, config);
  assert.equal(run.train.length + run.val.length, 123);
  assert.equal(run.val.length, 12);
  assert.equal(run.codec.vocab.idOf('zeta'), UNKNOWN_ID, 'a token only in the held-out tail is not in the vocabulary');
  assert.notEqual(run.codec.vocab.idOf('b'), UNKNOWN_ID);
  assert.ok(run.train.every((id) => id !== UNKNOWN_ID), 'every training token is in the vocabulary');
  run.model.dispose();
});
