/**
 * "PNG" buttons: a chart's canvas drawn over the theme's background (the canvas itself is
 * transparent) and sent to the host, which asks where to save it.
 */
import * as l10n from '@vscode/l10n';
import type { PngChart } from '../src/protocol/webviewProtocol';

/** Adds a PNG button after `anchor` that saves the canvas inside `chart` (the first one found). */
export function addPngButton(anchor: Element, chart: PngChart, container: HTMLElement, label: string, post: (message: { type: 'savePng'; chart: PngChart; dataUrl: string }) => void): HTMLElement {
  const button = document.createElement('vscode-button');
  button.setAttribute('secondary', '');
  button.id = `png-${chart}`;
  button.textContent = 'PNG';
  button.title = l10n.t('Save {0} as a PNG image', label);
  button.setAttribute('aria-label', l10n.t('PNG: save {0} as an image', label));
  button.addEventListener('click', () => {
    if (button.hasAttribute('disabled')) return;
    const url = chartPng(container);
    if (url) post({ type: 'savePng', chart, dataUrl: url });
  });
  anchor.after(button);
  return button;
}

/** The chart's canvases composed over the panel's background, as a PNG data URL; null when nothing is drawn. */
export function chartPng(container: HTMLElement): string | null {
  const canvases = [...container.querySelectorAll('canvas')].filter((c) => c.width > 0 && c.height > 0);
  if (canvases.length === 0) return null;
  const first = canvases[0];
  const out = document.createElement('canvas');
  out.width = first.width;
  out.height = first.height;
  const ctx = out.getContext('2d');
  if (!ctx) return null;
  ctx.fillStyle = getComputedStyle(document.body).backgroundColor || '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  // Layers stacked in the chart (a plot and its overlay) are drawn at the first one's scale.
  const origin = first.getBoundingClientRect();
  const scale = first.width / Math.max(1, origin.width);
  for (const c of canvases) {
    const r = c.getBoundingClientRect();
    ctx.drawImage(c, (r.left - origin.left) * scale, (r.top - origin.top) * scale, r.width * scale, r.height * scale);
  }
  return out.toDataURL('image/png');
}
