// Serves the panel as VS Code would (HTML from the real renderPanelHtml, dist/webview.js, the
// stylesheets) on 127.0.0.1 and opens it in Debian's Chromium with a stub acquireVsCodeApi.
// Builds nothing itself: dist/ comes from `npm run build`; only src/panel/html.ts and the pure
// webview modules are bundled on the fly, into a temp folder, to be imported here.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { after, before } from 'node:test';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { THEMES } from './themes.mjs';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const RESULTS = join(REPO, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Fails with a message that says what to do, instead of a 404 deep inside a browser test. */
export function requireBuild() {
  for (const file of ['dist/webview.js', 'dist/uPlot.min.css', 'media/panel.css']) {
    if (!existsSync(join(REPO, file))) {
      throw new Error(`${file} is missing: run \`npm run build\` first (the webview tests load the built bundle)`);
    }
  }
}

/**
 * Bundles TypeScript sources into one ES module and imports it. `exports` maps each source
 * path (relative to the repo) to the names the caller wants from it.
 */
export async function importTs(files) {
  const dir = mkdtempSync(join(tmpdir(), 'lstm-lab-webview-test-'));
  try {
    const outfile = join(dir, 'bundle.mjs');
    await esbuild.build({
      stdin: { contents: files.map((f) => `export * from ${JSON.stringify(`./${f}`)};`).join('\n'), resolveDir: REPO, loader: 'ts' },
      bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'silent',
      // The panel's build of @vscode/l10n (its Node build requires fs, which an ES module bundle cannot).
      alias: { '@vscode/l10n': '@vscode/l10n/dist/browser.js' },
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.html': 'text/html' };

/**
 * An HTTP server for the panel page; only dist/ and media/ are served besides the page.
 * `htmlOptions` go to renderPanelHtml as the host would pass them (`l10n`, `bundle`, `language`).
 */
export async function startPanelServer(htmlOptions = {}) {
  requireBuild();
  const { renderPanelHtml, makeNonce } = await importTs(['src/panel/html.ts']);
  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host}`;
    const path = decodeURIComponent(new URL(req.url ?? '/', origin).pathname);
    if (path === '/') {
      const html = renderPanelHtml({
        cspSource: origin,
        nonce: makeNonce(),
        scriptUri: `${origin}/dist/webview.js`,
        styleUris: [`${origin}/dist/uPlot.min.css`, `${origin}/media/panel.css`],
        title: 'LSTM Lab',
        ...htmlOptions,
      });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
      return;
    }
    if (path === '/favicon.ico') {
      // Chromium asks every top-level page for one; a webview iframe never does.
      res.writeHead(204).end();
      return;
    }
    const file = resolve(REPO, `.${path}`);
    const allowed = [join(REPO, 'dist') + sep, join(REPO, 'media') + sep].some((root) => file.startsWith(root));
    if (!allowed || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}

/** A fresh Chromium profile per call; `close` removes it. */
export async function launchBrowser({ deviceScaleFactor = 2, width = 900, height = 760 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'lstm-lab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width, height },
    // At 2x a 1.5 px line has solid core pixels, which the colour checks look for.
    deviceScaleFactor,
    locale: 'en-US',
    // Keep Chromium's crash reports and caches inside the throwaway profile.
    env: { ...process.env, HOME: profile, XDG_CONFIG_HOME: join(profile, 'config'), XDG_CACHE_HOME: join(profile, 'cache') },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Runs in the page before its scripts: the VS Code API stub, a CSP violation recorder, a canvas
 * stroke counter, and the theme (VS Code puts the variables on <html> and the kind on <body>).
 */
function pageSetup({ theme, savedState }) {
  let state = savedState;
  let acquired = false;
  const test = {
    posted: [],
    violations: [],
    strokes: 0,
    setStateCalls: 0,
    get state() { return state; },
    applyTheme(t) {
      for (const [name, value] of Object.entries(t.vars)) document.documentElement.style.setProperty(name, value);
      document.body.className = t.bodyClass;
      document.body.dataset.vscodeThemeKind = t.bodyClass;
    },
  };
  window.__test = test;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi may only be called once');
    acquired = true;
    return Object.freeze({
      // VS Code clones what is posted; so does this, to catch non-cloneable messages.
      postMessage: (message) => { test.posted.push(structuredClone(message)); },
      getState: () => state,
      setState: (next) => { state = structuredClone(next); test.setStateCalls++; },
    });
  };
  document.addEventListener('securitypolicyviolation', (e) => {
    test.violations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
  });
  const stroke = CanvasRenderingContext2D.prototype.stroke;
  CanvasRenderingContext2D.prototype.stroke = function countedStroke(...args) {
    test.strokes++;
    return stroke.apply(this, args);
  };
  // The theme must be in place before the panel script reads it, as in VS Code.
  const observer = new MutationObserver(() => {
    if (!document.body) return;
    observer.disconnect();
    test.applyTheme(theme);
  });
  observer.observe(document, { childList: true, subtree: true });
}

/**
 * Opens the panel in a new page and waits for its `ready`. Returns the page plus everything
 * the page logged to the console or threw.
 */
export async function openPanel(context, server, { theme = 'dark', savedState } = {}) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
  await page.addInitScript(pageSetup, { theme: THEMES[theme], savedState });
  await page.goto(server.url);
  await page.waitForFunction(() => window.__test.posted.some((m) => m.type === 'ready'));
  return { page, problems };
}

/** Delivers host messages the way VS Code does: as `message` events on the webview's window. */
export async function send(page, ...messages) {
  await page.evaluate((list) => { for (const m of list) window.postMessage(m, '*'); }, messages);
}

/** Waits until the chart says it has drawn exactly these numbers of points. */
export async function waitForPoints(page, train, val) {
  await page.waitForFunction(([t, v]) => {
    const el = document.getElementById('loss-chart');
    return el?.dataset.trainPoints === String(t) && el?.dataset.valPoints === String(v);
  }, [train, val]);
}

/** Switches theme as VS Code does, then lets the panel redraw. */
export async function switchTheme(page, theme) {
  await page.evaluate((t) => window.__test.applyTheme(t), THEMES[theme]);
  await nextFrames(page);
}

/** Resolves after a few animation frames, the panel's unit of redraw. */
export async function nextFrames(page, count = 3) {
  await page.evaluate((n) => new Promise((done) => {
    const tick = (left) => (left === 0 ? done() : requestAnimationFrame(() => tick(left - 1)));
    tick(n);
  }), count);
}

/**
 * Looks for a colour on the chart canvas: counts opaque pixels within `tolerance` of `hex` in
 * every channel, how many canvas columns they cover, and their mean canvas y in the left and
 * right thirds (y grows downwards, so a falling loss has meanYLeft < meanYRight).
 */
export async function colourOnChart(page, hex, tolerance = 12, selector = '#loss-chart canvas') {
  return page.evaluate(([h, tol, sel]) => {
    const canvas = document.querySelector(sel);
    if (!canvas) return { count: 0, columns: 0, width: 0, meanYLeft: NaN, meanYRight: NaN };
    const target = [1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16));
    const { width, height } = canvas;
    // Read a copy, so Chromium's readback advice is about our canvas, not the panel's.
    const copy = document.createElement('canvas');
    copy.width = width;
    copy.height = height;
    const ctx = copy.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(canvas, 0, 0);
    const px = ctx.getImageData(0, 0, width, height).data;
    const columns = new Set();
    let count = 0;
    const third = { left: [0, 0], right: [0, 0] };
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        if (px[i + 3] < 200) continue;
        if (Math.abs(px[i] - target[0]) > tol || Math.abs(px[i + 1] - target[1]) > tol || Math.abs(px[i + 2] - target[2]) > tol) continue;
        count++;
        columns.add(x);
        if (x < width / 3) { third.left[0] += y; third.left[1]++; }
        if (x > (2 * width) / 3) { third.right[0] += y; third.right[1]++; }
      }
    }
    return {
      count,
      columns: columns.size,
      width,
      meanYLeft: third.left[0] / third.left[1],
      meanYRight: third.right[0] / third.right[1],
    };
  }, [hex, tolerance, selector]);
}

/**
 * One panel server and one browser for a test file, started before its tests and closed after
 * them. `open(options)` opens the panel in a new page, as `openPanel` does.
 */
export function usePanelBrowser(launchOptions) {
  const env = { server: undefined, browser: undefined };
  before(async () => {
    requireBuild();
    env.server = await startPanelServer();
    env.browser = await launchBrowser(launchOptions);
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  env.open = (options) => openPanel(env.browser.context, env.server, options);
  return env;
}

/** Ends a panel test: nothing was blocked by the CSP and nothing was logged or thrown. */
export async function assertClean(page, problems) {
  assert.deepEqual(await page.evaluate(() => window.__test.violations), [], 'CSP violations');
  assert.deepEqual(problems, [], 'console errors/warnings or page errors');
  await page.close();
}

/** Drags across the loss chart's plot from `from` to `to` (fractions of its width) and waits for the zoom. */
export async function dragAcrossLossPlot(page, from, to) {
  const plot = page.locator('#loss-chart .u-over');
  await plot.scrollIntoViewIfNeeded();
  const box = await plot.boundingBox();
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * from, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * (from + to) / 2, y, { steps: 4 });
  await page.mouse.move(box.x + box.width * to, y, { steps: 4 });
  await page.mouse.up();
  await page.locator('#loss-chart[data-zoomed="true"]').waitFor({ timeout: 5_000 });
  await nextFrames(page);
}
