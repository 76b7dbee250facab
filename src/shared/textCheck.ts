/** Decides whether a document can be trained on, and bounds what is used of it. */

export interface TextCheck {
  ok: boolean;
  /** Why training cannot start (when !ok). */
  reason?: string;
  /** The text to train on (possibly a prefix). */
  text: string;
  /** True when only a prefix of the document is used. */
  truncated: boolean;
  /** Length of the original document in UTF-16 units. */
  originalLength: number;
}

/** Documents need at least this many characters to make one training window. */
export const MIN_CHARS = 32;

/**
 * Checks `text` for training. Binary content (NUL bytes), whitespace only and texts with fewer
 * than two distinct characters are refused; texts longer than `maxChars` are cut to a prefix,
 * ending on a whole code point.
 */
export function checkTrainingText(text: string, maxChars: number): TextCheck {
  const originalLength = text.length;
  const fail = (reason: string): TextCheck => ({ ok: false, reason, text: '', truncated: false, originalLength });
  if (text.length === 0) return fail('The file is empty: there is nothing to learn from.');
  const probe = text.slice(0, Math.min(text.length, 1 << 16));
  if (probe.includes('\u0000')) return fail('The file looks binary (it contains NUL bytes). LSTM Lab trains on text.');
  let truncated = false;
  if (text.length > maxChars) {
    let end = maxChars;
    // Do not split a surrogate pair.
    const code = text.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) end -= 1;
    text = text.slice(0, end);
    truncated = true;
  }
  if (text.includes('\u0000')) return fail('The file looks binary (it contains NUL bytes). LSTM Lab trains on text.');
  if (!/\S/u.test(text)) {
    return fail(truncated
      ? `The first ${text.length.toLocaleString('en')} characters of the file are only whitespace (spaces, tabs, line breaks): there is nothing to learn from.`
      : 'The file holds only whitespace (spaces, tabs, line breaks): there is nothing to learn from.');
  }
  let count = 0;
  for (const _ of text) if (++count >= MIN_CHARS) break;
  if (count < MIN_CHARS) return fail(`The file is too short: at least ${MIN_CHARS} characters are needed, it has ${count}.`);
  const first = text.codePointAt(0)!;
  let distinct = false;
  for (const ch of text) if (ch.codePointAt(0) !== first) { distinct = true; break; }
  if (!distinct) return fail('The file uses a single distinct character: a model would have nothing to predict.');
  return { ok: true, text, truncated, originalLength };
}
