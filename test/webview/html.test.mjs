// renderPanelHtml and makeNonce as plain functions: the CSP, the nonce, escaping, the skeleton.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { importTs } from './harness.mjs';

let renderPanelHtml;
let makeNonce;

before(async () => {
  ({ renderPanelHtml, makeNonce } = await importTs(['src/panel/html.ts']));
});

const CSP_SOURCE = "'self' https://*.vscode-cdn.net";
const options = (overrides = {}) => ({
  cspSource: CSP_SOURCE,
  nonce: 'abcdef0123456789abcdef0123456789',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
  styleUris: ['https://file+.vscode-resource.vscode-cdn.net/ext/dist/uPlot.min.css', 'https://file+.vscode-resource.vscode-cdn.net/ext/media/panel.css'],
  ...overrides,
});

function cspOf(html) {
  const match = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/);
  assert.ok(match, 'CSP meta tag');
  const csp = match[1].replace(/&#39;|&apos;/g, "'");
  return Object.fromEntries(csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
    const [name, ...values] = d.split(/\s+/);
    return [name, values];
  }));
}

test('the CSP allows scripts only by nonce and styles, images and fonts only from cspSource', () => {
  const html = renderPanelHtml(options());
  const csp = cspOf(html);
  const source = CSP_SOURCE.split(' ');
  assert.deepEqual(csp['default-src'], ["'none'"]);
  assert.deepEqual(csp['script-src'], ["'nonce-abcdef0123456789abcdef0123456789'"]);
  assert.deepEqual(csp['style-src'], source);
  assert.deepEqual(csp['img-src'], source);
  assert.deepEqual(csp['font-src'], source);
  assert.deepEqual(csp['base-uri'], ["'none'"]);
  assert.doesNotMatch(html, /unsafe-inline|unsafe-eval|unsafe-hashes|http:\/\/|\*\s/);
});

test('the one script carries the nonce; there is no inline script, style or handler', () => {
  const html = renderPanelHtml(options());
  const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0][0], /^<script nonce="abcdef0123456789abcdef0123456789" src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\.js">/);
  assert.equal(scripts[0][1], '');
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
  const links = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1]);
  assert.deepEqual(links, options().styleUris, 'stylesheets in the given order (panel.css last wins)');
});

test('the skeleton has the elements the webview script and the end-to-end tests look for', () => {
  const html = renderPanelHtml(options());
  assert.match(html, /<div id="loss-chart"[^>]* data-train-points="0" data-val-points="0"/);
  for (const id of ['run-file', 'run-config', 'stop-button', 'train-button', 'empty-state', 'run-view', 'status-line', 'sample']) {
    assert.match(html, new RegExp(`id="${id}"`), id);
  }
  assert.match(html, /<vscode-button id="stop-button"[^>]*>Stop<\/vscode-button>/);
  assert.match(html, /<vscode-button id="train-button"[^>]*>Train<\/vscode-button>/);
});

test('the charts and heatmaps the keys reach are applications from the start, not images the script turns into one', () => {
  const html = renderPanelHtml(options());
  const kinds = { 'loss-chart': 'chart', 'grad-chart': 'chart', 'grad-heatmap': 'heatmap', 'gates-heatmap': 'heatmap', 's2s-accuracy': 'chart', 's2s-loss': 'chart', 's2s-attention': 'heatmap', 's2s-grad': 'chart' };
  for (const [id, kind] of Object.entries(kinds)) {
    const tag = new RegExp(`<(?:div|svg) id="${id}"[^>]*>`).exec(html)?.[0];
    assert.ok(tag, id);
    assert.match(tag, /\srole="application"\s/, id);
    assert.match(tag, /\stabindex="0"\s/, id);
    assert.match(tag, new RegExp(`\\saria-roledescription="${kind}"\\s`), id);
    assert.match(tag, /\saria-label="[^"]+"/, id);
  }
  assert.doesNotMatch(html, /role="img"/);
});

test('values are escaped, and a nonce or cspSource that could break out is refused', () => {
  const html = renderPanelHtml(options({ title: '</title><script>alert(1)</script>', scriptUri: 'https://x/a.js?"><script>' }));
  assert.match(html, /<title>&lt;\/title&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/title>/);
  assert.match(html, /src="https:\/\/x\/a\.js\?&quot;&gt;&lt;script&gt;"/);
  assert.equal([...html.matchAll(/<script/g)].length, 1);
  assert.throws(() => renderPanelHtml(options({ nonce: 'short' })), /nonce/);
  assert.throws(() => renderPanelHtml(options({ nonce: 'abcdef0123456789" onload="x' })), /nonce/);
  assert.throws(() => renderPanelHtml(options({ cspSource: "https://a; script-src 'unsafe-inline'" })), /cspSource/);
});

test('makeNonce returns 32 fresh hex characters each time', () => {
  const nonces = new Set(Array.from({ length: 50 }, () => makeNonce()));
  assert.equal(nonces.size, 50);
  for (const n of nonces) assert.match(n, /^[0-9a-f]{32}$/);
});
