import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/engine/rng';
import { BOS, BOS_ID, buildPairCodec, encodePairs, EOS, EOS_ID, epochBatches, makeBatch, PAD, PAD_ID, padBatch, pairCodecFromTokens } from '../../src/engine/seq2seq/batches';
import { checkPairs, parsePairs, skippedNote, splitHeldOut } from '../../src/engine/seq2seq/pairs';
import { DATE_FORMATS, sampleText, samplePairs } from '../../src/shared/seq2seqSamples';

test('pairs split on a tab; blank lines skipped; line numbers kept; CRLF and astral characters', () => {
  const p = parsePairs('abc\tcba\r\n\r\n  \n🐚x\tx🐚\nhello world\tdlrow olleh\n');
  assert.equal(p.separator, 'tab');
  assert.deepEqual(p.pairs, [
    { source: 'abc', target: 'cba', line: 1 },
    { source: '🐚x', target: 'x🐚', line: 4 },
    { source: 'hello world', target: 'dlrow olleh', line: 5 },
  ]);
  assert.equal(p.lines, 3);
  assert.deepEqual(p.bad, []);
  assert.equal(checkPairs(p), null);
});

test('" => " separates when no line has a tab; a tab anywhere makes tabs the separator', () => {
  const arrow = parsePairs('3 Mar 1999 => 1999-03-03\n12+345 => 357\n');
  assert.equal(arrow.separator, 'arrow');
  assert.deepEqual(arrow.pairs.map((x) => [x.source, x.target]), [['3 Mar 1999', '1999-03-03'], ['12+345', '357']]);
  const mixed = parsePairs('a => b\nc\td\n');
  assert.equal(mixed.separator, 'tab');
  assert.deepEqual(mixed.pairs.map((x) => x.line), [2]);
  assert.deepEqual(mixed.bad, [{ line: 1, why: 'no tab between source and target' }]);
});

test('bad lines are named with their numbers; more than 1% of them refuses the file', () => {
  const good = Array.from({ length: 300 }, (_, i) => `s${i}\tt${i}`);
  // 3 bad of 303 lines: under 1%, skipped with a note.
  const few = parsePairs([...good.slice(0, 100), 'no separator', ...good.slice(100, 200), 'x\t', ...good.slice(200), '\ty'].join('\n'));
  assert.deepEqual(few.bad.map((b) => b.line), [101, 202, 303]);
  assert.deepEqual(few.bad.map((b) => b.why), ['no tab between source and target', 'the target is empty', 'the source is empty']);
  assert.equal(checkPairs(few), null);
  assert.match(skippedNote(few)!, /^3 lines skipped \(line 101: no tab .*; line 202: the target is empty; line 303: the source is empty\)\.$/);
  // 8 bad of 308: refused; the first five are named and the rest counted.
  const many = parsePairs([...good, ...Array.from({ length: 8 }, () => 'junk')].join('\n'));
  const why = checkPairs(many)!;
  assert.match(why, /^8 of 308 lines are not pairs \(more than 1%\): line 301: no tab between source and target; .*line 305: .* and 3 more\.$/);
  assert.equal(skippedNote(parsePairs(good.join('\n'))), null);
});

test('empty, single-column, too long and too small files each get a clear message', () => {
  assert.match(checkPairs(parsePairs(''))!, /no pairs/);
  assert.match(checkPairs(parsePairs('\n \n\r\n'))!, /no pairs/);
  assert.match(checkPairs(parsePairs('one\ntwo\nthree\n'))!, /No line of the file is a pair \(line 1: no "=>" between source and target; line 2: .*\)/);
  const long = parsePairs(`${'a'.repeat(10_000)}\tb\nx\ty\n`);
  assert.deepEqual(long.bad, [{ line: 1, why: '10000 characters on one side (at most 1000)' }]);
  assert.match(checkPairs(long)!, /1 of 2 lines are not pairs/);
  assert.match(checkPairs(parsePairs('a\tb\n'))!, /at least 2 pairs/);
  assert.deepEqual(parsePairs('a\tb\tc\n').bad, [{ line: 1, why: 'more than one tab' }]);
});

test('the last 10% of the pairs are held out, at least one', () => {
  const pairs = Array.from({ length: 95 }, (_, i) => ({ source: `${i}`, target: `${i}`, line: i + 1 }));
  const { train, heldOut } = splitHeldOut(pairs);
  assert.equal(heldOut.length, 10);
  assert.equal(train.length, 85);
  assert.deepEqual(heldOut[0], pairs[85]);
  const two = splitHeldOut(pairs.slice(0, 2));
  assert.equal(two.train.length, 1);
  assert.equal(two.heldOut.length, 1);
});

test('generated samples: reversal, dates in six formats to ISO, addition; reproducible by seed; parse cleanly', () => {
  for (const { source, target } of samplePairs('reverse', 500, 3)) {
    assert.match(source, /^[a-z]{5,10}$/);
    assert.equal(target, [...source].reverse().join(''));
  }
  const dates = samplePairs('dates', 2000, 3);
  for (const { source, target } of dates) {
    const m = target.match(/^(\d{4})-(\d{2})-(\d{2})$/);
    assert.ok(m, target);
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    // The date is real (Date would roll 31 Apr over into May) and one of the formats writes it as the source.
    const real = new Date(Date.UTC(y, mo - 1, d));
    assert.equal(real.getUTCDate(), d, target);
    assert.ok(DATE_FORMATS.some((f) => f(d, mo, y) === source), `${source} is one of the formats of ${target}`);
  }
  const seen = new Set(dates.map((p) => DATE_FORMATS.findIndex((f) => { const [y, mo, d] = p.target.split('-').map(Number); return f(d, mo, y) === p.source; })));
  assert.equal(seen.size, 6, 'all six formats appear');
  for (const { source, target } of samplePairs('addition', 500, 3)) {
    const [a, b] = source.split('+').map(Number);
    assert.ok(a <= 999 && b <= 999);
    assert.equal(Number(target), a + b);
  }
  assert.equal(sampleText('reverse', 50, 9), sampleText('reverse', 50, 9));
  assert.notEqual(sampleText('reverse', 50, 9), sampleText('reverse', 50, 10));
  const parsed = parsePairs(sampleText('dates', 1000));
  assert.equal(parsed.pairs.length, 1000);
  assert.equal(checkPairs(parsed), null);
});

test('one vocabulary for both sides, markers after the unknown token; targets end with the end marker', () => {
  const pairs = parsePairs('ab<\tba>\n🐚c\tc🐚\n').pairs;
  const codec = buildPairCodec('char', pairs, 100);
  assert.deepEqual(codec.vocab.tokens.slice(0, 4), ['\uFFFD', PAD, BOS, EOS]);
  assert.equal(codec.vocab.size, 4 + 6); // a b c < > 🐚
  assert.deepEqual(Array.from(codec.source('🐚c')), [codec.vocab.idOf('🐚'), codec.vocab.idOf('c')]);
  assert.deepEqual(Array.from(codec.target('c')), [codec.vocab.idOf('c'), EOS_ID]);
  assert.equal(codec.decode([BOS_ID, codec.vocab.idOf('a'), PAD_ID, codec.vocab.idOf('<'), EOS_ID, codec.vocab.idOf('b')]), 'a<');
  assert.equal(codec.source('z')[0], 0, 'an unseen token is unknown');
  // Word tokens: "<s>" in the text is three tokens, never the start marker.
  const words = buildPairCodec('word', parsePairs('<s> hi\thi </s>\nx\ty\n').pairs, 100);
  assert.ok(!Array.from(words.source('<s> hi')).includes(BOS_ID));
  assert.ok(!Array.from(words.target('hi </s>')).slice(0, -1).includes(EOS_ID));
  assert.throws(() => buildPairCodec('char', pairs, 9), /6 distinct characters; the vocabulary holds at most 5/);
  const again = pairCodecFromTokens('char', codec.vocab.tokens);
  assert.deepEqual(Array.from(again.target('ba>')), Array.from(codec.target('ba>')));
  assert.throws(() => pairCodecFromTokens('char', ['\uFFFD', 'a', 'b', 'c']), /markers/);
});

test('batches are time-major and padded; the mask covers exactly the target tokens and their end markers', () => {
  const codec = buildPairCodec('char', parsePairs('abc\tcba\nd\td\nef\tfe\n').pairs, 100);
  const enc = encodePairs(codec, parsePairs('abc\tcba\nd\td\nef\tfe\n').pairs);
  const batch = makeBatch(enc);
  const id = (c: string) => codec.vocab.idOf(c);
  assert.equal(batch.size, 3);
  assert.equal(batch.sourceSteps, 3);
  assert.equal(batch.targetSteps, 4);
  assert.deepEqual(Array.from(batch.sourceLength), [3, 1, 2]);
  // Row t·B + b: t = 0 is the first token of every source.
  assert.deepEqual(Array.from(batch.source), [id('a'), id('d'), id('e'), id('b'), PAD_ID, id('f'), id('c'), PAD_ID, PAD_ID]);
  assert.deepEqual(Array.from(batch.decoderInput), [BOS_ID, BOS_ID, BOS_ID, id('c'), id('d'), id('f'), id('b'), PAD_ID, id('e'), id('a'), PAD_ID, PAD_ID]);
  assert.deepEqual(Array.from(batch.decoderTarget), [id('c'), id('d'), id('f'), id('b'), EOS_ID, id('e'), id('a'), PAD_ID, EOS_ID, EOS_ID, PAD_ID, PAD_ID]);
  assert.deepEqual(Array.from(batch.mask), [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0]);
  assert.equal(batch.tokens, 9);
});

test('an epoch holds every pair once, in batches of one source length; padded rows are masked', () => {
  const pairs = samplePairs('reverse', 1000, 4).map((p, i) => ({ ...p, line: i + 1 }));
  const codec = buildPairCodec('char', pairs, 100);
  const enc = encodePairs(codec, pairs);
  const batches = epochBatches(enc, 16, new Rng(1));
  assert.equal(batches.reduce((n, b) => n + b.size, 0), 1000);
  const seen: string[] = [];
  for (const b of batches) {
    assert.ok(b.size <= 16);
    assert.ok(b.sourceLength.every((n) => n === b.sourceSteps), 'one source length per batch');
    assert.ok(!b.source.includes(PAD_ID), 'sources are not padded');
    for (let k = 0; k < b.size; k++) seen.push(codec.decode(Array.from({ length: b.sourceSteps }, (_, t) => b.source[t * b.size + k])));
  }
  assert.deepEqual(seen.sort(), pairs.map((p) => p.source).sort());
  const other = epochBatches(enc, 16, new Rng(2));
  assert.notDeepEqual(Array.from(other[0].source), Array.from(batches[0].source), 'another seed, another order');
  assert.throws(() => epochBatches(enc, 0, new Rng(1)), /batch size/);
  // Padding a batch of 3 to 8 rows: the new rows read a real source and predict nothing.
  const small = makeBatch(enc.filter((p) => p.source.length === 7).slice(0, 3));
  const padded = padBatch(small, 8);
  assert.equal(padded.size, 8);
  assert.equal(padded.tokens, small.tokens);
  for (let t = 0; t < padded.targetSteps; t++) {
    for (let b = 0; b < 8; b++) {
      if (b < 3) {
        assert.equal(padded.decoderTarget[t * 8 + b], small.decoderTarget[t * 3 + b]);
        assert.equal(padded.mask[t * 8 + b], small.mask[t * 3 + b]);
      } else assert.equal(padded.mask[t * 8 + b], 0);
    }
  }
  for (let t = 0; t < padded.sourceSteps; t++) assert.equal(padded.source[t * 8 + 5], small.source[t * 3]);
  assert.equal(padBatch(small, 3), small);
  assert.throws(() => padBatch(small, 2), /does not fit/);
});
