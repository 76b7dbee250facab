/** Stretches of a document in UTF-16 offsets, moved through edits. No `vscode` import. */
import type { DocChange } from '../protocol/inspectionMessages';

/** An edited stretch, in UTF-16 offsets of the current text. */
export interface Range16 {
  start: number;
  end: number;
}

/**
 * Moves edited stretches through a list of changes (each applied to the result of the one
 * before) and adds the inserted text of each change as edited. Many changes that come last-first
 * and apart (Replace All) count as one stretch from the first to the last.
 */
export function applyToRanges(ranges: Range16[], changes: DocChange[]): Range16[] {
  let steps = changes.map((c) => ({ offset: c.offset, removed: c.removed, inserted: c.text.length }));
  const descending = changes.length > 64 && changes.every((c, i) => i === 0 || c.offset + c.removed <= changes[i - 1].offset);
  if (descending) {
    const from = changes[changes.length - 1].offset;
    const to = changes[0].offset + changes[0].removed;
    const delta = steps.reduce((d, c) => d + c.inserted - c.removed, 0);
    steps = [{ offset: from, removed: to - from, inserted: to - from + delta }];
  }
  let out = ranges;
  for (const c of steps) {
    const end = c.offset + c.removed;
    const delta = c.inserted - c.removed;
    const moved: Range16[] = [];
    for (const r of out) {
      // Parts before the change stay, parts after it move, parts inside it are replaced.
      if (r.end <= c.offset) moved.push(r);
      else if (r.start >= end) moved.push({ start: r.start + delta, end: r.end + delta });
      else moved.push({ start: Math.min(r.start, c.offset), end: Math.max(r.end + delta, c.offset + c.inserted) });
    }
    // A deletion leaves a point where text was: mark the character after it.
    moved.push({ start: c.offset, end: c.offset + Math.max(c.inserted, 1) });
    out = merge(moved);
  }
  return out;
}

function merge(ranges: Range16[]): Range16[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: Range16[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}
