/**
 * Word tokens: runs of letters/digits (with their combining marks), single punctuation or symbol
 * characters, and runs of whitespace. Every character of the text lands in exactly one token, so
 * the tokens concatenate back to the text, and each keeps its UTF-16 offset for editor ranges.
 */
import { makeVocabulary, UNKNOWN_TOKEN, type Vocabulary } from './tokens';

/**
 * One token per match, tried in order:
 * - a word: letters, digits and marks, where a zero-width (non-)joiner may sit between two of them
 *   (Persian and Indic scripts use them inside words);
 * - a whitespace run ("\r\n" stays whole inside it);
 * - one code point — two for a flag's regional-indicator pair — with what renders as part of it:
 *   variation selectors and other marks, skin-tone modifiers, tag characters, and further pictographs
 *   joined by ZWJ, so 👍🏽, ❤️ and 👨‍👩‍👧 stay one token.
 * The last branch matches any code point (a lone surrogate included), so no character is skipped.
 */
const TOKEN =
  /[\p{L}\p{N}\p{M}]+(?:[\u200C\u200D][\p{L}\p{N}\p{M}]+)*|\s+|(?:\p{Regional_Indicator}{2}|[^])(?:[\p{M}\p{Emoji_Modifier}\u{E0020}-\u{E007F}]|\u200D\p{Extended_Pictographic})*/gu;

/** Splits text into word tokens, with the UTF-16 offset where each one starts. */
export function tokenizeWords(text: string): { tokens: string[]; offsets: Int32Array } {
  const tokens: string[] = [];
  const offsets: number[] = [];
  for (const m of text.matchAll(TOKEN)) {
    tokens.push(m[0]);
    offsets.push(m.index!);
  }
  return { tokens, offsets: Int32Array.from(offsets) };
}

/** UTF-16 order: any fixed order will do, as long as it does not depend on the locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Builds a word vocabulary: the unknown token, then the `maxSize - 1` most frequent tokens (equal
 * counts broken by UTF-16 order), sorted in UTF-16 order. The rest encode as unknown. The result
 * depends only on the multiset of tokens, not on the order they come in.
 */
export function buildWordVocabulary(tokens: string[], maxSize = 10000): Vocabulary {
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError(`maxSize must be a whole number ≥ 1, got ${maxSize}`);
  const counts = new Map<string, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  // Text can contain U+FFFD itself; it is the unknown token already and must not appear twice.
  counts.delete(UNKNOWN_TOKEN);
  let kept = [...counts.keys()];
  if (kept.length > maxSize - 1) {
    kept = kept.sort((a, b) => counts.get(b)! - counts.get(a)! || compare(a, b)).slice(0, maxSize - 1);
  }
  kept.sort(compare);
  return makeVocabulary([UNKNOWN_TOKEN, ...kept]);
}

/** Token ids; tokens the vocabulary does not know map to the unknown id. */
export function encodeTokens(tokens: string[], vocab: Vocabulary): Int32Array {
  return Int32Array.from(tokens, (t) => vocab.idOf(t));
}
