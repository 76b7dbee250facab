/**
 * The panel's one polite live region: what the keyboard cursor of a chart or heatmap points at is
 * read out from here, so a screen reader hears the value without leaving the chart.
 */
let region: HTMLElement | undefined;

/** Creates the region inside `parent` (once); it must exist before the first announcement. */
export function createLiveRegion(parent: HTMLElement): HTMLElement {
  if (region) return region;
  region = document.createElement('div');
  region.id = 'live-region';
  region.className = 'visually-hidden';
  region.setAttribute('aria-live', 'polite');
  region.setAttribute('aria-atomic', 'true');
  parent.append(region);
  return region;
}

/** Replaces what the region says. */
export function announce(text: string): void {
  (region ?? createLiveRegion(document.body)).textContent = text;
}
