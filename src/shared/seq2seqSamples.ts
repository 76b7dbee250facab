/**
 * Generated sequence-to-sequence tasks to try at once (LSTM Lab: New Sequence-to-Sequence
 * Sample…): reversing a string, writing a date given in one of six formats as ISO 8601, and adding
 * two numbers. Each gives a file of pairs, one per line, source and target separated by a tab.
 */
import { Rng } from './rng';

export type SampleTask = 'reverse' | 'dates' | 'addition';

export const SAMPLE_TASKS: Record<SampleTask, { label: string; detail: string; pairs: number }> = {
  reverse: { label: 'Reverse a string', detail: '5–10 random lowercase letters, written backwards', pairs: 12_000 },
  dates: { label: 'Dates to ISO 8601', detail: 'a date in one of six formats, e.g. "3 Mar 1999" ⇒ "1999-03-03"', pairs: 20_000 },
  addition: { label: 'Add two numbers', detail: '"12+345" ⇒ "357", numbers up to 999', pairs: 20_000 },
};

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS_IN = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The six ways a date is written in the sample, for day d (1-based), month m (1-based), year y. */
export const DATE_FORMATS: ((d: number, m: number, y: number) => string)[] = [
  (d, m, y) => `${d} ${MONTHS[m - 1].slice(0, 3)} ${y}`, // 3 Mar 1999
  (d, m, y) => `${MONTHS[m - 1]} ${d}, ${y}`, // March 3, 1999
  (d, m, y) => `${pad(d)}/${pad(m)}/${y}`, // 03/03/1999 (day first)
  (d, m, y) => `${d}.${m}.${y}`, // 3.3.1999
  (d, m, y) => `${y}/${m}/${d}`, // 1999/3/3
  (d, m, y) => `${MONTHS[m - 1].slice(0, 3).toUpperCase()} ${pad(d)} ${y}`, // MAR 03 1999
];

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function leap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** `count` pairs of the task, drawn from `seed`. */
export function samplePairs(task: SampleTask, count: number, seed = 1): { source: string; target: string }[] {
  const rng = new Rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));
  const out: { source: string; target: string }[] = [];
  for (let i = 0; i < count; i++) {
    if (task === 'reverse') {
      const n = int(5, 10);
      let s = '';
      for (let k = 0; k < n; k++) s += String.fromCharCode(97 + int(0, 25));
      out.push({ source: s, target: [...s].reverse().join('') });
    } else if (task === 'dates') {
      const y = int(1900, 2099);
      const m = int(1, 12);
      const d = int(1, DAYS_IN[m - 1] + (m === 2 && leap(y) ? 1 : 0));
      const format = DATE_FORMATS[int(0, DATE_FORMATS.length - 1)];
      out.push({ source: format(d, m, y), target: `${y}-${pad(m)}-${pad(d)}` });
    } else {
      const a = int(0, 999);
      const b = int(0, 999);
      out.push({ source: `${a}+${b}`, target: String(a + b) });
    }
  }
  return out;
}

/** The task as a file of pairs (tab-separated, one per line). */
export function sampleText(task: SampleTask, count = SAMPLE_TASKS[task].pairs, seed = 1): string {
  return samplePairs(task, count, seed).map((p) => `${p.source}\t${p.target}`).join('\n') + '\n';
}
