import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACTIVATION_LEVELS, activationScale, levelOf, SURPRISAL_LEVELS } from '../../src/editor/overlayScale';
import { applyToRanges } from '../../src/editor/ranges';
import { findMatches, parseUnit, unitArg, unitSearchOptions } from '../../src/editor/unitText';
import { showChar, showToken } from '../../src/hover/tokenText';

test('edited stretches move with later edits, grow with typing and merge', () => {
  // Typing "ab" at 10, one change per key.
  let r = applyToRanges([], [{ offset: 10, removed: 0, text: 'a' }]);
  r = applyToRanges(r, [{ offset: 11, removed: 0, text: 'b' }]);
  assert.deepEqual(r, [{ start: 10, end: 12 }]);
  // Text inserted before moves it; a deletion before it moves it back.
  r = applyToRanges(r, [{ offset: 0, removed: 0, text: 'xyz' }]);
  assert.deepEqual(r, [{ start: 0, end: 3 }, { start: 13, end: 15 }]);
  r = applyToRanges(r, [{ offset: 5, removed: 4, text: '' }]);
  assert.deepEqual(r, [{ start: 0, end: 3 }, { start: 5, end: 6 }, { start: 9, end: 11 }]);
  // A replacement over a stretch covers both; changes apply one after another.
  r = applyToRanges(r, [{ offset: 8, removed: 5, text: 'Q' }, { offset: 0, removed: 0, text: '--' }]);
  assert.deepEqual(r, [{ start: 0, end: 5 }, { start: 7, end: 8 }, { start: 10, end: 11 }]);
});

test('overlay levels: surprisal edges in bits, activations on a −1…1 scale per traced name', () => {
  assert.equal(levelOf(SURPRISAL_LEVELS, 0.5), -1, 'under 1 bit is not painted');
  assert.equal(levelOf(SURPRISAL_LEVELS, NaN), -1, 'the first token (no prediction) is not painted');
  assert.equal(levelOf(SURPRISAL_LEVELS, 1), 0);
  assert.equal(levelOf(SURPRISAL_LEVELS, 5), 2);
  assert.equal(levelOf(SURPRISAL_LEVELS, 30), SURPRISAL_LEVELS.length - 1);
  assert.equal(activationScale('forget', 0.5), 0);
  assert.equal(activationScale('input', 1), 1);
  assert.equal(activationScale('h', -0.7), -0.7);
  assert.equal(activationScale('candidate', 0.3), 0.3);
  assert.ok(Math.abs(activationScale('c', 3) - Math.tanh(3)) < 1e-12);
  assert.equal(levelOf(ACTIVATION_LEVELS, Math.abs(activationScale('h', -0.9))), 3);
});

test('pattern matches: sorted, empty matches skipped, capped; unit names parsed from text and arguments', () => {
  assert.deepEqual(findMatches('a "b" c "d e"', /"[^"]*"/), [{ start: 2, end: 5 }, { start: 8, end: 13 }]);
  assert.deepEqual(findMatches('aaa', /x*/), []);
  assert.equal(findMatches('x'.repeat(100), /x/, 7).length, 7);
  assert.deepEqual(findMatches('🐚"q"', /"q"/u), [{ start: 2, end: 5 }], 'UTF-16 offsets after an astral character');
  assert.deepEqual(parseUnit(' 2 C 17 '), { layer: 1, name: 'c', unit: 17 });
  assert.match(parseUnit('5 h 1') as string, /layer is from 1 to 4/);
  assert.match(parseUnit('c 17') as string, /e\.g\. 1 c 17/);
  assert.deepEqual(unitArg({ layer: 0, name: 'h', unit: 3 }), { layer: 0, name: 'h', unit: 3 });
  assert.equal(unitArg({ layer: 0.5, name: 'h', unit: 3 }), undefined);
  assert.deepEqual(unitSearchOptions({ pattern: 'x', pick: false, other: 1 }), { pattern: 'x', flags: undefined, pick: false });
  assert.deepEqual(unitSearchOptions('x'), {});
});

test('tokens in hovers: whitespace by name, runs counted, control characters by code point, code escaped', () => {
  assert.equal(showChar(' '), '*space*');
  assert.equal(showChar('\u0007'), 'U+0007');
  assert.equal(showChar('`'), '`` \u02cb ``');
  assert.equal(showToken('\r\n'), '*return* *newline*');
  assert.equal(showToken('    '), '*space* ×4');
  assert.equal(showToken('\n\n\t'), '*newline* ×2 *tab*');
  assert.equal(showToken('hello'), '`` hello ``');
  assert.equal(showToken('🐚'), '`` 🐚 ``');
  assert.equal(showToken('x'.repeat(50)), '`` ' + 'x'.repeat(40) + '… ``');
});

test('Replace All (many changes, last-first) marks one stretch from the first change to the last', () => {
  const changes = Array.from({ length: 100 }, (_, i) => ({ offset: 1000 - i * 10, removed: 3, text: 'abcd' }));
  // Offsets 10…1000, each 3 → 4 characters: the stretch runs from 10 to 1003 + 100 − 1 after the edits.
  assert.deepEqual(applyToRanges([{ start: 2000, end: 2001 }], changes), [{ start: 10, end: 1103 }, { start: 2100, end: 2101 }]);
});
