/**
 * A file of pairs for sequence-to-sequence training: one pair per line, source and target
 * separated by a tab, or by ` => ` when no line has a tab. Blank lines are skipped; lines that do
 * not parse are reported by line number, and a file where more than 1% of the lines are bad is
 * refused. The last 10% of the pairs (at least one) are held out for evaluation.
 */

export interface Pair {
  source: string;
  target: string;
  /** 1-based line number in the file. */
  line: number;
}

export interface BadLine {
  line: number;
  why: string;
}

export type Separator = 'tab' | 'arrow';

export interface ParsedPairs {
  pairs: Pair[];
  bad: BadLine[];
  separator: Separator;
  /** Non-blank lines read. */
  lines: number;
}

/** Text that separates source from target when no line has a tab. */
export const ARROW = ' => ';
/** Longest source or target, in characters (UTF-16 units). */
export const MAX_SIDE_CHARS = 1000;
/** Share of bad lines above which a file is refused. */
export const MAX_BAD_SHARE = 0.01;
/** Share of the pairs held out for evaluation (the last ones). */
export const HELD_OUT_SHARE = 0.1;
/** Bad lines named in a message; the rest are counted. */
const NAMED = 5;

/** Reads every line of `text` as a pair; never throws (see `checkPairs`). */
export function parsePairs(text: string): ParsedPairs {
  const raw = text.split(/\r\n|\n|\r/);
  const separator: Separator = raw.some((l) => l.includes('\t')) ? 'tab' : 'arrow';
  const sep = separator === 'tab' ? '\t' : ARROW;
  const pairs: Pair[] = [];
  const bad: BadLine[] = [];
  let lines = 0;
  raw.forEach((l, i) => {
    const line = i + 1;
    if (l.trim() === '') return;
    lines++;
    const at = l.indexOf(sep);
    if (at < 0) return bad.push({ line, why: separator === 'tab' ? 'no tab between source and target' : `no "${ARROW.trim()}" between source and target` });
    const source = l.slice(0, at);
    const target = l.slice(at + sep.length);
    if (target.includes(sep)) return bad.push({ line, why: `more than one ${separator === 'tab' ? 'tab' : `"${ARROW.trim()}"`}` });
    if (source.trim() === '') return bad.push({ line, why: 'the source is empty' });
    if (target.trim() === '') return bad.push({ line, why: 'the target is empty' });
    const longest = Math.max(source.length, target.length);
    if (longest > MAX_SIDE_CHARS) return bad.push({ line, why: `${longest} characters on one side (at most ${MAX_SIDE_CHARS})` });
    pairs.push({ source, target, line });
  });
  return { pairs, bad, separator, lines };
}

/**
 * Why the parsed file cannot be trained on, or null. The message names the first bad lines and
 * counts the rest.
 */
export function checkPairs(parsed: ParsedPairs): string | null {
  const { pairs, bad, lines } = parsed;
  if (lines === 0) return 'The file has no pairs: write one pair per line, source and target separated by a tab (or " => ").';
  const named = bad.slice(0, NAMED).map((b) => `line ${b.line}: ${b.why}`).join('; ');
  const more = bad.length > NAMED ? ` and ${bad.length - NAMED} more` : '';
  if (pairs.length === 0) return `No line of the file is a pair (${named}${more}). Write source and target separated by a tab (or " => ").`;
  if (bad.length > MAX_BAD_SHARE * lines) {
    return `${bad.length} of ${lines} lines are not pairs (more than ${MAX_BAD_SHARE * 100}%): ${named}${more}.`;
  }
  if (pairs.length < 2) return 'The file needs at least 2 pairs: one to train on and one to hold out.';
  return null;
}

/** A note on bad lines that were skipped (within the 1% allowed), or null. */
export function skippedNote(parsed: ParsedPairs): string | null {
  const { bad } = parsed;
  if (bad.length === 0) return null;
  const named = bad.slice(0, NAMED).map((b) => `line ${b.line}: ${b.why}`).join('; ');
  return `${bad.length} line${bad.length === 1 ? '' : 's'} skipped (${named}${bad.length > NAMED ? ` and ${bad.length - NAMED} more` : ''}).`;
}

/** Training pairs and the held-out last 10% (at least one). */
export function splitHeldOut(pairs: readonly Pair[]): { train: Pair[]; heldOut: Pair[] } {
  const n = Math.max(1, Math.round(pairs.length * HELD_OUT_SHARE));
  return { train: pairs.slice(0, pairs.length - n), heldOut: pairs.slice(pairs.length - n) };
}
