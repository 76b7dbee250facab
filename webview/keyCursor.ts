/**
 * Keyboard access to a chart or heatmap: it takes focus with Tab, the arrow keys move a cursor over
 * its points (one row) or cells (rows × columns), and what the cursor points at is announced in
 * the panel's live region. The chart draws the cursor and says what a cell holds; this module owns
 * the keys, the focus and the hint that lists the keys.
 */
import * as l10n from '@vscode/l10n';
import { announce } from './liveRegion';

export type NavAction =
  | 'left' | 'right' | 'up' | 'down' | 'home' | 'end' | 'top' | 'bottom' | 'pageUp' | 'pageDown'
  | 'zoomIn' | 'zoomOut' | 'zoomReset' | 'pin' | 'activate' | 'escape';

/** A column (point, token, measurement) and a row (unit, lag; always 0 on a one-row chart). */
export interface Cell {
  col: number;
  row: number;
}

/** The action a key stands for, or null for keys the charts leave to the page. */
export function navAction(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'altKey' | 'metaKey'>): NavAction | null {
  if (e.altKey || e.metaKey) return null;
  switch (e.key) {
    case 'ArrowLeft': return 'left';
    case 'ArrowRight': return 'right';
    case 'ArrowUp': return 'up';
    case 'ArrowDown': return 'down';
    case 'Home': return e.ctrlKey ? 'top' : 'home';
    case 'End': return e.ctrlKey ? 'bottom' : 'end';
    case 'PageUp': return 'pageUp';
    case 'PageDown': return 'pageDown';
  }
  // Ctrl with the keys below belongs to VS Code (e.g. Ctrl+0, Ctrl+= zoom the window).
  if (e.ctrlKey) return null;
  switch (e.key) {
    case '+': case '=': return 'zoomIn';
    case '-': case '_': return 'zoomOut';
    case '0': return 'zoomReset';
    case ' ': return 'pin';
    case 'Enter': return 'activate';
    case 'Escape': return 'escape';
  }
  return null;
}

/**
 * Where `action` takes the cursor in a grid of `cols` × `rows`, clamped to it; null for actions
 * that do not move it. Page keys jump a tenth of the rows (of the points on a one-row chart).
 */
export function moveCell(cell: Cell, action: NavAction, cols: number, rows: number): Cell | null {
  const at = (col: number, row: number): Cell => ({ col: Math.min(cols - 1, Math.max(0, col)), row: Math.min(rows - 1, Math.max(0, row)) });
  const page = Math.max(2, Math.round((rows > 1 ? rows : cols) / 10));
  const { col, row } = cell;
  switch (action) {
    case 'left': return at(col - 1, row);
    case 'right': return at(col + 1, row);
    case 'up': return at(col, row - 1);
    case 'down': return at(col, row + 1);
    case 'home': return at(0, row);
    case 'end': return at(cols - 1, row);
    case 'top': return at(0, 0);
    case 'bottom': return at(cols - 1, rows - 1);
    case 'pageUp': return rows > 1 ? at(col, row - page) : at(col - page, row);
    case 'pageDown': return rows > 1 ? at(col, row + page) : at(col + page, row);
    default: return null;
  }
}

/** What a chart tells its keyboard cursor. */
export interface CursorSource {
  /** Columns and rows drawn now; nothing to point at while either is 0. */
  size(): { cols: number; rows: number };
  /** Where the cursor starts the first time; the top left cell without this. */
  start?(cols: number, rows: number): Cell;
  /** What the cell holds, as the live region says it. */
  describe(cell: Cell): string;
  /** Draws the cursor at `cell` (the hover highlight), or removes it for null. */
  draw(cell: Cell | null): void;
  /** The chart's own keys (zoom, pin, go to): what to announce, or undefined for keys it has no use for. */
  act?(action: NavAction, cell: Cell): string | undefined;
}

export interface KeyCursorOptions {
  /** Said in place of the role: "chart", "heatmap". */
  roleDescription: string;
  /** The keys, as a short line shown while the target has focus (also its description); or a hint element to share. */
  hint: string | HTMLElement;
  /** Said when a key is pressed before there is anything to point at. */
  empty?: string;
}

let hints = 0;

/** Makes a hint line for `keys`, hidden until a chart that uses it has focus. */
export function keyHint(keys: string): HTMLElement {
  const hint = document.createElement('span');
  hint.className = 'key-hint';
  hint.id = `key-hint-${++hints}`;
  hint.textContent = keys;
  return hint;
}

/**
 * The cursor of one focusable target (the chart's container, canvas or SVG). The cell is kept
 * while the target loses focus and shown again when it comes back.
 */
export class KeyCursor {
  readonly hint: HTMLElement;
  private cell: Cell | null = null;

  constructor(readonly target: HTMLElement | SVGElement, private readonly source: CursorSource, private readonly options: KeyCursorOptions) {
    this.hint = typeof options.hint === 'string' ? keyHint(options.hint) : options.hint;
    target.tabIndex = 0;
    // An application role makes screen readers pass the arrow keys through to the chart. The
    // panel's skeleton (src/panel/html.ts) already says so; a target made here (a canvas) learns it now.
    target.setAttribute('role', 'application');
    target.setAttribute('aria-roledescription', options.roleDescription);
    target.setAttribute('aria-describedby', this.hint.id);
    target.dataset.keys = '';
    target.addEventListener('keydown', (e) => this.key(e as KeyboardEvent));
    target.addEventListener('focus', () => {
      this.hint.classList.add('shown');
      // A click focuses the chart too; the cursor then waits for a key, leaving the mouse's hover alone.
      if (target.matches(':focus-visible')) this.show(true);
    });
    target.addEventListener('blur', () => {
      this.hint.classList.remove('shown');
      this.source.draw(null);
    });
  }

  /** The cursor's cell, clamped to what is drawn now; null before the first key or with nothing drawn. */
  current(): Cell | null {
    const { cols, rows } = this.source.size();
    if (!this.cell || cols === 0 || rows === 0) return null;
    return { col: Math.min(this.cell.col, cols - 1), row: Math.min(this.cell.row, rows - 1) };
  }

  /** Moves the cursor (e.g. to follow a unit that moved) and announces the cell. */
  moveTo(cell: Cell): void {
    this.cell = cell;
    this.show(true);
  }

  /** After a redraw: draws the cursor again where the data moved it, without announcing it. */
  refresh(): void {
    if (document.activeElement === this.target && this.cell) this.show(false);
  }

  private key(e: KeyboardEvent): void {
    const action = navAction(e);
    if (!action) return;
    const { cols, rows } = this.source.size();
    if (cols === 0 || rows === 0) {
      if (action !== 'escape' && action !== 'pin' && action !== 'activate') {
        e.preventDefault();
        announce(this.options.empty ?? l10n.t('Nothing drawn yet.'));
      }
      return;
    }
    if (action === 'escape') {
      if (!this.cell) return;
      e.preventDefault();
      this.cell = null;
      this.source.draw(null);
      return;
    }
    const from = this.current();
    if (!from) {
      // The first key shows where the cursor starts; it does not move it yet.
      if (moveCell({ col: 0, row: 0 }, action, cols, rows)) {
        e.preventDefault();
        this.show(true);
      }
      return;
    }
    const to = moveCell(from, action, cols, rows);
    if (to) {
      e.preventDefault();
      this.cell = to;
      this.show(true);
      return;
    }
    const said = this.source.act?.(action, from);
    if (said === undefined) return;
    e.preventDefault();
    this.show(false);
    announce(said);
  }

  private show(say: boolean): void {
    const { cols, rows } = this.source.size();
    if (cols === 0 || rows === 0) {
      this.source.draw(null);
      return;
    }
    this.cell = this.current() ?? this.source.start?.(cols, rows) ?? { col: 0, row: 0 };
    this.source.draw(this.cell);
    if (say) announce(this.source.describe(this.cell));
  }
}
