// A page with only the loss and gradient-flow charts, in the panel's markup and stylesheets and
// under the same CSP, for the chart methods that no host message reaches yet (e.g. overlays).
// Its script, test/webview/chartsPage.ts, is bundled on the fly; the charts are `window.charts`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { REPO, requireBuild } from './harness.mjs';
import { THEMES } from './themes.mjs';

const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self'">
    <link rel="stylesheet" href="/uPlot.min.css">
    <link rel="stylesheet" href="/panel.css">
  </head>
  <body>
    <main class="panel">
      <section class="card chart-card">
        <div class="chart-frame">
          <div id="loss-chart" class="loss-chart" data-train-points="0" data-val-points="0"></div>
        </div>
      </section>
      <section class="card chart-card">
        <div class="chart-frame chart-frame-small">
          <div id="grad-chart" class="loss-chart grad-chart" data-lags="0"></div>
        </div>
      </section>
    </main>
    <script src="/charts.js"></script>
  </body>
</html>
`;

/** Serves the page at `url`; `close` stops the server. */
export async function startChartsServer() {
  requireBuild();
  const dir = mkdtempSync(join(tmpdir(), 'lstm-lab-charts-page-'));
  let script;
  try {
    const outfile = join(dir, 'charts.js');
    await esbuild.build({ entryPoints: [join(REPO, 'test/webview/chartsPage.ts')], bundle: true, format: 'iife', target: 'es2022', outfile, logLevel: 'silent' });
    script = readFileSync(outfile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const files = {
    '/': ['text/html; charset=utf-8', PAGE],
    '/charts.js': ['text/javascript', script],
    '/panel.css': ['text/css', readFileSync(join(REPO, 'media/panel.css'))],
    '/uPlot.min.css': ['text/css', readFileSync(join(REPO, 'dist/uPlot.min.css'))],
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file) {
      res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' });
    res.end(file[1]);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}

/**
 * Opens the page in `theme` (variables on <html>, kind on <body>, set before the script runs, as
 * VS Code does). Returns the page, what it logged or threw, and the CSP violations it reported.
 */
export async function openChartsPage(context, server, theme = 'dark') {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.addInitScript((t) => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective));
    window.__applyTheme = (next) => {
      for (const [name, value] of Object.entries(next.vars)) document.documentElement.style.setProperty(name, value);
      document.body.className = next.bodyClass;
    };
    const observer = new MutationObserver(() => {
      if (!document.body) return;
      observer.disconnect();
      window.__applyTheme(t);
    });
    observer.observe(document, { childList: true, subtree: true });
  }, THEMES[theme]);
  await page.goto(server.url);
  await page.waitForFunction(() => window.charts !== undefined);
  return { page, problems };
}
