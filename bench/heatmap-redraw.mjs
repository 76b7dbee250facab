#!/usr/bin/env node
// Browser benchmark (not a test): how long the panel takes to redraw the gates heatmap for
// 128 units × 4,096 tokens in Chromium, switching between a gate and a signed state. Prints JSON.
// Needs `npm run build` first.
import { snapshot } from '../test/webview/fixtures.mjs';
import { launchBrowser, openPanel, requireBuild, send, startPanelServer } from '../test/webview/harness.mjs';

const TOKENS = 4096;
const UNITS = 128;
const REDRAWS = 21;

requireBuild();
const server = await startPanelServer();
const browser = await launchBrowser({ deviceScaleFactor: 1, width: 1200, height: 900 });
try {
  const { page } = await openPanel(browser.context, server, { theme: 'dark' });
  await send(page, snapshot());
  const tokens = Array.from({ length: TOKENS }, (_, i) => 'abcdefgh '[i % 9]);
  const values = (f) => Array.from({ length: TOKENS * UNITS }, (_, k) => f(k));
  const layer = { units: UNITS, values: { forget: values((k) => (k % 97) / 97), h: values((k) => Math.sin(k / 13)) } };
  await send(page, { type: 'trace', runId: 'run-1', trace: { step: 1, tokens, offsets: tokens.map((_, i) => i), layers: [layer], gates: ['forget'] } });
  await page.locator(`#gates-heatmap[data-tokens="${TOKENS}"]`).waitFor({ timeout: 30_000 });
  const ms = await page.evaluate((n) => {
    const select = document.querySelector('#gates-name');
    const times = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      select.value = i % 2 ? 'forget' : 'h';
      select.dispatchEvent(new Event('change'));
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b);
  }, REDRAWS);
  const pick = (q) => +ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(1);
  console.log(JSON.stringify({ heatmap: { units: UNITS, tokens: TOKENS, redraws: REDRAWS, p50Ms: pick(0.5), p95Ms: pick(0.95), minMs: pick(0) } }));
} finally {
  await browser.close();
  await server.close();
}
