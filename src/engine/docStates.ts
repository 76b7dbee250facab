/**
 * What the model reads in a document, without reading it all each time: the kept states.
 * (spanInspect.ts runs the model over a span from them.)
 *
 * A `DocumentStates` mirrors one document's text and keeps the recurrent state (h and c of every
 * layer) at token boundaries, at least every `every` tokens along any stretch the model has read.
 * `inspect` starts from the nearest kept state before the asked span, so a hover after a first look
 * runs at most `every` steps. With no kept state near, it starts `warmup` tokens before the span
 * from a zero state: the state then holds that much context (an LSTM's memory of older text fades
 * anyway), and states are kept only once that warm-up is read. Edits drop only the states at or
 * after the edit.
 */

export interface DocStatesOptions {
  /** Keep a state at least every this many tokens. */
  every: number;
  /** Tokens read from a zero state before a span when no kept state is near. */
  warmup: number;
  /** Most states kept per document (the ones farthest from the latest look go first)… */
  maxEntries: number;
  /** …and at most this many bytes of them (a 4 × 1024 LSTM's state is 32 KiB). */
  maxBytes: number;
}

export const DOC_STATE_DEFAULTS: DocStatesOptions = { every: 32, warmup: 256, maxEntries: 20_000, maxBytes: 64 << 20 };

/**
 * An edit can change the token that ends at its offset (a letter typed right after a word joins
 * it; a low surrogate completes a high one; a joiner links two words): states this close before
 * an edit go too.
 */
const EDIT_MARGIN = 2;

interface Entry {
  /** UTF-16 offset of the token boundary the state is at (all text before it has been read). */
  offset: number;
  /** Every layer's h, then c (cells with a cell state), [1 × H] each, packed. */
  state: Float32Array;
}

export class DocumentStates {
  private entries: Entry[] = [];
  private key = '';
  private stores = 0;

  readonly options: DocStatesOptions;

  constructor(private textNow: string, options: Partial<DocStatesOptions> = {}) {
    this.options = { ...DOC_STATE_DEFAULTS, ...options };
  }

  get text(): string {
    return this.textNow;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Kept states belong to one model: a different key (another model, or a training step) drops them. */
  useModel(key: string): void {
    if (key !== this.key) this.entries = [];
    this.key = key;
  }

  /** Drops every kept state (the model changed). */
  clear(): void {
    this.entries = [];
  }

  /**
   * Applies changes in order, each on the result of the one before. Many changes at once (Replace
   * All) usually come last-first and apart: those are applied in one pass over the text.
   */
  editMany(changes: readonly { offset: number; removed: number; text: string }[]): void {
    const descending = changes.length > 8 && changes.every((c, i) => i === 0 || c.offset + c.removed <= changes[i - 1].offset);
    if (!descending) {
      for (const c of changes) this.edit(c.offset, c.removed, c.text);
      return;
    }
    const last = changes[changes.length - 1];
    const first = changes[0];
    if (!(last.offset >= 0 && first.offset + first.removed <= this.textNow.length && changes.every((c) => c.removed >= 0))) {
      throw new RangeError(`edits reach outside the document (length ${this.textNow.length})`);
    }
    const parts: string[] = [];
    let at = 0;
    for (let i = changes.length - 1; i >= 0; i--) {
      const c = changes[i];
      parts.push(this.textNow.slice(at, c.offset), c.text);
      at = c.offset + c.removed;
    }
    parts.push(this.textNow.slice(at));
    this.textNow = parts.join('');
    this.entries.length = this.firstAtOrAfter(last.offset - EDIT_MARGIN);
  }

  /** Replaces `removed` UTF-16 units at `offset` with `inserted`; states from just before the edit on are dropped. */
  edit(offset: number, removed: number, inserted: string): void {
    if (!(offset >= 0 && removed >= 0 && offset + removed <= this.textNow.length)) {
      throw new RangeError(`edit ${offset}+${removed} is outside the document (length ${this.textNow.length})`);
    }
    this.textNow = this.textNow.slice(0, offset) + inserted + this.textNow.slice(offset + removed);
    const keep = this.firstAtOrAfter(offset - EDIT_MARGIN);
    this.entries.length = keep;
  }

  /** Offsets of the kept states, in order (for tests and reports). */
  offsets(): number[] {
    return this.entries.map((e) => e.offset);
  }

  /** Index of the first entry with offset ≥ `offset`. */
  private firstAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The kept state nearest before (or at) `offset`. */
  entryAtOrBefore(offset: number): Entry | undefined {
    const i = this.firstAtOrAfter(offset + 1);
    return i > 0 ? this.entries[i - 1] : undefined;
  }

  /** Keeps a state; with `replace` false, a state already kept at that offset stays (it may have read more). */
  store(offset: number, state: Float32Array, replace = true): void {
    const i = this.firstAtOrAfter(offset);
    if (this.entries[i]?.offset === offset) {
      if (replace) this.entries[i] = { offset, state };
      return;
    }
    this.entries.splice(i, 0, { offset, state });
    const max = Math.max(1, Math.min(this.options.maxEntries, Math.floor(this.options.maxBytes / Math.max(state.byteLength, 1))));
    if (this.entries.length > max && (++this.stores % 64 === 0 || this.entries.length > max * 1.1)) this.evict(offset, max);
  }

  /** Keeps the `max` states nearest to `focus`. */
  private evict(focus: number, max: number): void {
    const kept = [...this.entries].sort((a, b) => Math.abs(a.offset - focus) - Math.abs(b.offset - focus)).slice(0, max);
    this.entries = kept.sort((a, b) => a.offset - b.offset);
  }
}
