/**
 * Character tokens as Unicode code points: an emoji or a CJK character outside the BMP is one
 * token, never two UTF-16 halves. Every token keeps its UTF-16 offset so positions map back to
 * editor ranges exactly.
 */

/** The id reserved for characters the vocabulary does not know. */
export const UNKNOWN_ID = 0;
/** How the unknown token is shown. */
export const UNKNOWN_TOKEN = '\uFFFD';

export interface Vocabulary {
  /** tokens[id] is the token's text; tokens[0] is the unknown token. */
  readonly tokens: readonly string[];
  readonly size: number;
  idOf(token: string): number;
}

export function makeVocabulary(tokens: readonly string[]): Vocabulary {
  if (tokens[UNKNOWN_ID] !== UNKNOWN_TOKEN) throw new Error('vocabulary must start with the unknown token');
  const index = new Map<string, number>();
  tokens.forEach((t, i) => index.set(t, i));
  return {
    tokens,
    size: tokens.length,
    idOf: (token) => index.get(token) ?? UNKNOWN_ID,
  };
}

/** Splits text into code points, keeping each one's UTF-16 offset. */
export function codePoints(text: string): { chars: string[]; offsets: Int32Array } {
  const chars: string[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const ch of text) {
    chars.push(ch);
    offsets.push(offset);
    offset += ch.length;
  }
  return { chars, offsets: Int32Array.from(offsets) };
}

/**
 * Builds a character vocabulary from training text: the unknown token, then the distinct code
 * points sorted. When there are more than `maxSize - 1` distinct characters, the rarest are left
 * out (they encode as unknown).
 */
export function buildCharVocabulary(text: string, maxSize = 2000): Vocabulary {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  // U+FFFD in the text is the unknown token itself.
  counts.delete(UNKNOWN_TOKEN);
  let kept = [...counts.keys()];
  if (kept.length > maxSize - 1) {
    kept = kept.sort((a, b) => (counts.get(b)! - counts.get(a)!) || (a < b ? -1 : 1)).slice(0, maxSize - 1);
  }
  kept.sort((a, b) => (a.codePointAt(0)! - b.codePointAt(0)!));
  return makeVocabulary([UNKNOWN_TOKEN, ...kept]);
}

/** Encodes text to token ids; unknown characters map to UNKNOWN_ID. */
export function encode(text: string, vocab: Vocabulary): Int32Array {
  const ids: number[] = [];
  for (const ch of text) ids.push(vocab.idOf(ch));
  return Int32Array.from(ids);
}

export function decode(ids: ArrayLike<number>, vocab: Vocabulary): string {
  let s = '';
  for (let i = 0; i < ids.length; i++) s += vocab.tokens[ids[i]] ?? UNKNOWN_TOKEN;
  return s;
}
