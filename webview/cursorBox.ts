/**
 * The keyboard cursor drawn over a canvas heatmap or scatter plot: an outline in the theme's focus
 * colour around one cell or point, placed over the canvas without redrawing it.
 */

/** A rectangle in client (viewport) pixels, as getBoundingClientRect gives. */
export interface ClientRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export class CursorBox {
  private readonly box = document.createElement('div');

  /** `container` must be positioned (relative or absolute); the outline is its child. */
  constructor(private readonly container: HTMLElement, round = false) {
    this.box.className = round ? 'cell-cursor point-cursor' : 'cell-cursor';
    this.box.hidden = true;
    this.box.setAttribute('aria-hidden', 'true');
    container.append(this.box);
  }

  /** Outlines `rect` (client px); the outline grows to at least `min` px so that thin cells still show it. */
  show(rect: ClientRect, min = 6): void {
    const c = this.container.getBoundingClientRect();
    const width = Math.max(min, rect.width);
    const height = Math.max(min, rect.height);
    const left = rect.left - (width - rect.width) / 2 - c.left - this.container.clientLeft;
    const top = rect.top - (height - rect.height) / 2 - c.top - this.container.clientTop;
    this.box.hidden = false;
    this.box.style.left = `${left}px`;
    this.box.style.top = `${top}px`;
    this.box.style.width = `${width}px`;
    this.box.style.height = `${height}px`;
  }

  hide(): void {
    this.box.hidden = true;
  }
}

/** The cell (col, row) of a `cols` × `rows` grid painted over `area` (client px). */
export function cellRect(area: ClientRect, cols: number, rows: number, col: number, row: number): ClientRect {
  const width = area.width / cols;
  const height = area.height / rows;
  return { left: area.left + col * width, top: area.top + row * height, width, height };
}
