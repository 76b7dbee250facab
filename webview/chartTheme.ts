/**
 * Canvas drawing cannot use CSS variables, so the chart's colours are resolved from the theme
 * (panel.css maps them onto VS Code's variables) and re-resolved when the theme changes.
 */
export interface ChartTheme {
  train: string;
  val: string;
  axis: string;
  grid: string;
  /** Line colours for other runs drawn over the chart, in the order runs are given; cycled. */
  overlays: string[];
  /** CSS font shorthand for axis values and labels. */
  font: string;
  lineWidth: number;
}

/** Resolves the chart's custom properties, as declared in panel.css, on `host`. */
/** How many distinct overlay colours panel.css declares (--overlay-1-color … --overlay-N-color). */
export const OVERLAY_COLORS = 5;

/** The CSS expression for the colour of the `index`-th overlay, for elements styled by the theme. */
export function overlayColorVar(index: number): string {
  return `var(--overlay-${(index % OVERLAY_COLORS) + 1}-color)`;
}

export function readChartTheme(host: HTMLElement): ChartTheme {
  // A probe element turns any colour expression (var(), color-mix(), system colours) into
  // the computed colour string the canvas understands.
  const probe = document.createElement('span');
  probe.hidden = true;
  host.appendChild(probe);
  const resolve = (property: string): string => {
    probe.style.color = `var(${property})`;
    return getComputedStyle(probe).color;
  };
  const style = getComputedStyle(host);
  const lineWidth = Number.parseFloat(style.getPropertyValue('--loss-line-width'));
  const theme: ChartTheme = {
    train: resolve('--loss-train-color'),
    val: resolve('--loss-val-color'),
    axis: resolve('--loss-axis-color'),
    grid: resolve('--loss-grid-color'),
    overlays: Array.from({ length: OVERLAY_COLORS }, (_, i) => resolve(`--overlay-${i + 1}-color`)),
    font: `${style.fontSize} ${style.fontFamily}`,
    lineWidth: Number.isFinite(lineWidth) && lineWidth > 0 ? lineWidth : 1.5,
  };
  probe.remove();
  return theme;
}

export function sameTheme(a: ChartTheme, b: ChartTheme): boolean {
  return a.train === b.train && a.val === b.val && a.axis === b.axis && a.grid === b.grid
    && a.overlays.join('|') === b.overlays.join('|')
    && a.font === b.font && a.lineWidth === b.lineWidth;
}

/**
 * Calls `onChange` when VS Code switches theme: it swaps the body's `vscode-light` /
 * `vscode-dark` / `vscode-high-contrast` class and rewrites the variables on <html>'s style.
 */
export function observeThemeChanges(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-id'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['class', 'style'] });
  return () => observer.disconnect();
}
