/**
 * Turns text into token ids and back, for either token mode: characters (Unicode code points) or
 * words (runs of letters/digits, single punctuation, whitespace runs).
 */
import { buildCharVocabulary, codePoints, makeVocabulary, UNKNOWN_ID, type Vocabulary } from './tokens';
import type { TokenChoice } from '../protocol/runConfig';
import { buildWordVocabulary, tokenizeWords } from './wordTokens';


export interface Tokenized {
  tokens: string[];
  /** UTF-16 offset of each token in the text. */
  offsets: Int32Array;
}

export interface Codec {
  readonly mode: TokenChoice;
  readonly vocab: Vocabulary;
  tokenize(text: string): Tokenized;
  /** Token ids of `text`; unseen tokens map to the unknown id. */
  encode(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
}

/** The tokens of `text` in the given mode, with their offsets. */
export function tokenizeText(mode: TokenChoice, text: string): Tokenized {
  if (mode === 'word') return tokenizeWords(text);
  const { chars, offsets } = codePoints(text);
  return { tokens: chars, offsets };
}

function codec(mode: TokenChoice, vocab: Vocabulary): Codec {
  return {
    mode,
    vocab,
    tokenize: (text) => tokenizeText(mode, text),
    encode: (text) => Int32Array.from(tokenizeText(mode, text).tokens, (t) => vocab.idOf(t)),
    decode: (ids) => Array.from(ids, (id) => vocab.tokens[id] ?? vocab.tokens[UNKNOWN_ID]).join(''),
  };
}

/** Builds the vocabulary from training text. */
export function buildCodec(mode: TokenChoice, text: string, maxVocab?: number): Codec {
  const vocab = mode === 'word' ? buildWordVocabulary(tokenizeWords(text).tokens, maxVocab) : buildCharVocabulary(text, maxVocab);
  return codec(mode, vocab);
}

/** Builds the vocabulary from the training tokens themselves (already split in `mode`). */
export function buildCodecFromTokens(mode: TokenChoice, tokens: string[], maxVocab?: number): Codec {
  const vocab = mode === 'word' ? buildWordVocabulary(tokens, maxVocab) : buildCharVocabulary(tokens.join(''), maxVocab);
  return codec(mode, vocab);
}

/** Restores a codec from a saved vocabulary (tokens[0] is the unknown token). */
export function codecFromTokens(mode: TokenChoice, tokens: readonly string[]): Codec {
  return codec(mode, makeVocabulary(tokens));
}
