// The panel's Content Security Policy in a real browser: the policy the page carries, directive by
// directive; no violation while the panel renders and every chart draws with data; and that what
// the policy forbids is in fact blocked and reported (so that "no violations" means something).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradFlowFixture, gradHistoryFixture, lossCurve, runInfo, snapshot, timed, traceFixture } from './fixtures.mjs';
import { assertClean, nextFrames, send, switchTheme, usePanelBrowser } from './harness.mjs';

const lab = usePanelBrowser();

/** The page's policy as directive → sources, its nonce, and where its scripts and styles come from. */
async function pageSecurity(page) {
  return page.evaluate(() => {
    const metas = [...document.querySelectorAll('meta[http-equiv]')].filter((m) => m.httpEquiv.toLowerCase() === 'content-security-policy');
    const policy = metas.map((m) => m.content);
    const firstMeta = metas[0];
    const before = (a, b) => Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
    return {
      policy,
      // Everything that loads something must come after the policy, or it is not covered.
      policyFirst: [...document.querySelectorAll('link, script, style, base, img, iframe, object, embed')].every((el) => before(firstMeta, el)),
      scripts: [...document.scripts].map((s) => ({ src: s.src, nonce: s.nonce, inline: s.textContent })),
      styles: [...document.querySelectorAll('link')].map((l) => ({ rel: l.rel, href: l.href })),
      // (Style attributes appear at run time through the CSSOM, which the policy allows; html.test.mjs checks the markup has none.)
      styleElements: document.querySelectorAll('style').length,
      handlers: [...document.querySelectorAll('*')].flatMap((el) => el.getAttributeNames().filter((n) => n.startsWith('on'))),
      resources: performance.getEntriesByType('resource').map((r) => r.name),
    };
  });
}

function directives(policy) {
  const out = {};
  for (const part of policy.split(';').map((d) => d.trim()).filter(Boolean)) {
    const [name, ...sources] = part.split(/\s+/);
    assert.ok(!(name in out), `directive ${name} appears twice`);
    out[name] = sources;
  }
  return out;
}

test('the panel page carries one strict policy: nothing by default, scripts by nonce only, styles, images and fonts from the panel origin', async () => {
  const { page, problems } = await lab.open();
  const origin = new URL(page.url()).origin;
  const s = await pageSecurity(page);
  assert.equal(s.policy.length, 1, 'one policy');
  assert.equal(s.policyFirst, true, 'the policy comes before anything that loads');
  assert.equal(s.scripts.length, 1, 'one script');
  const [script] = s.scripts;
  assert.equal(script.src, `${origin}/dist/webview.js`);
  assert.equal(script.inline, '');
  assert.match(script.nonce, /^[0-9a-f]{32}$/);

  const csp = directives(s.policy[0]);
  assert.deepEqual(csp, {
    'default-src': ["'none'"],
    'script-src': [`'nonce-${script.nonce}'`],
    'style-src': [origin],
    'img-src': [origin],
    'font-src': [origin],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
  });
  for (const [name, sources] of Object.entries(csp)) {
    for (const source of sources) {
      assert.doesNotMatch(source, /^'unsafe-|^'strict-dynamic'$|^'wasm-unsafe-eval'$|\*|^https?:$|^blob:$|^filesystem:$/, `${name} allows ${source}`);
      // Only the panel's own origin (VS Code's webview resource origin in the product).
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) assert.equal(source, origin, `${name} allows another origin`);
    }
  }
  // Nothing to run or style inline, and everything the page loaded came from dist/ and media/.
  assert.equal(s.styleElements, 0, 'style elements');
  assert.deepEqual(s.handlers, [], 'inline event handlers');
  assert.deepEqual(s.styles.map((l) => [l.rel, l.href]), [['stylesheet', `${origin}/dist/uPlot.min.css`], ['stylesheet', `${origin}/media/panel.css`]]);
  assert.ok(s.resources.length >= 3, `resources: ${s.resources.join(', ')}`);
  // (A top-level page asks for /favicon.ico on its own; a webview does not.)
  for (const r of s.resources.filter((name) => new URL(name).pathname !== '/favicon.ico')) assert.match(r, new RegExp(`^${origin.replace(/[.]/g, '\\.')}/(dist|media)/`), r);
  await assertClean(page, problems);
});

function summary(runId, cell, status) {
  return { run: runInfo({ runId, cell, fileName: 'prose.txt' }), status, message: null, trainLoss: 1.91, bestValLoss: 2.05, steps: 420, hasCheckpoint: true };
}

test('no policy violation while the panel renders, every chart draws with data, and the user works its controls', async () => {
  const { page, problems } = await lab.open({ theme: 'dark' });
  const state = snapshot({ train: timed(lossCurve(0, 300)), val: timed(lossCurve(0, 15, 20, 0.15)), gradFlow: gradFlowFixture(), gradHistory: gradHistoryFixture() });
  await send(page,
    state,
    { type: 'trace', runId: 'run-1', trace: traceFixture() },
    { type: 'runs', runs: [summary('run-1', 'lstm', 'running'), summary('run-b2', 'gru', 'completed')], selected: ['run-b2'] },
    { type: 'overlays', overlays: [{ runId: 'run-b2', label: 'gru 1×128 · prose.txt', train: lossCurve(0, 300, 1, 0.4), val: lossCurve(0, 15, 20, 0.5), gradFlow: gradFlowFixture(590, 64) }] },
    { type: 'metrics', runId: 'run-1', train: timed(lossCurve(300, 20)), val: [], charsPerSec: 30_000 },
    { type: 'sample', runId: 'run-1', step: 319, text: 'To be, or not to be' },
  );
  const drawn = [
    '#loss-chart[data-train-points="320"][data-val-points="15"][data-overlays="1"]',
    '#grad-chart[data-lags="64"]',
    '#grad-heatmap[data-columns="60"][data-lags="64"]',
    '#gates-heatmap[data-tokens="11"][data-units="8"]',
    '#gates-saturation[data-gates="input,forget,output"]',
    '#runs-body[data-runs="2"]',
  ];
  for (const selector of drawn) await page.locator(selector).waitFor({ state: 'attached', timeout: 10_000 });
  await nextFrames(page);
  assert.ok(await page.evaluate(() => window.__test.strokes) > 0, 'the charts drew lines');

  // The controls redraw everything again: units, log scale, time axis, smoothing, the gate and the order, the form.
  for (const id of ['#loss-bits', '#loss-log', '#loss-time', '#grad-relative']) await page.locator(id).click();
  await page.locator('#loss-smoothing').fill('0.9');
  await page.locator('#config-card > summary').click();
  await page.locator('#config-form[data-invalid="0"]').waitFor({ state: 'attached' });
  const heat = await page.locator('#gates-heatmap canvas').first().boundingBox();
  await page.mouse.move(heat.x + heat.width / 2, heat.y + heat.height / 2);
  await switchTheme(page, 'light');
  await switchTheme(page, 'hc');
  await nextFrames(page);
  await page.locator('#loss-chart[data-units="bits"][data-log-y="true"][data-x-unit="seconds"]').waitFor({ state: 'attached' });
  // assertClean: no violation was reported and nothing was logged as an error or a warning.
  await assertClean(page, problems);
});

test('what the policy forbids is blocked and reported: inline and foreign scripts, eval, inline styles, other origins, forms, base', async () => {
  const { page, problems } = await lab.open();
  const origin = new URL(page.url()).origin;
  const outcome = await page.evaluate(async (own) => {
    const result = {};
    const el = (html) => { const t = document.createElement('template'); t.innerHTML = html; return t.content.firstElementChild; };
    document.body.append(Object.assign(document.createElement('script'), { textContent: 'window.__inlineRan = true;' }));
    result.inlineScript = window.__inlineRan === true;
    const foreign = Object.assign(document.createElement('script'), { src: 'http://localhost:9/x.js' });
    document.body.append(foreign);
    // Code evaluated through the browser's debugging protocol may use eval whatever the policy, so
    // eval is tried from a page script of its own: one carrying the page's nonce, which the policy lets run.
    const nonced = document.createElement('script');
    nonced.nonce = document.scripts[0].nonce;
    nonced.textContent = `
      window.__codeFromStrings = {};
      try { window.__codeFromStrings.eval = String(eval('1 + 1')); } catch (e) { window.__codeFromStrings.eval = e.name; }
      try { window.__codeFromStrings.function = String(new Function('return 2')()); } catch (e) { window.__codeFromStrings.function = e.name; }
      try { setTimeout('window.__timerString = true', 0); } catch (e) { window.__codeFromStrings.timer = e.name; }
    `;
    // The debugging protocol allows eval for as long as its own evaluation runs: the script runs in a later task.
    setTimeout(() => document.body.append(nonced), 0);
    for (let i = 0; i < 100 && !window.__codeFromStrings; i++) await new Promise((r) => setTimeout(r, 10));
    Object.assign(result, window.__codeFromStrings);
    const probe = el('<p id="csp-probe">probe</p>');
    document.body.append(probe);
    const colourBefore = getComputedStyle(probe).color;
    probe.setAttribute('style', 'color: rgb(255, 0, 0) !important');
    document.head.append(el('<style>#csp-probe { outline: 3px solid rgb(0, 255, 0); }</style>'));
    result.styleAttribute = getComputedStyle(probe).color !== colourBefore;
    result.styleElement = getComputedStyle(probe).outlineColor === 'rgb(0, 255, 0)';
    probe.setAttribute('onclick', 'window.__handlerRan = true');
    probe.click();
    result.handler = window.__handlerRan === true;
    document.body.append(Object.assign(new Image(), { src: 'https://example.com/pixel.png' }));
    try { await fetch(`${own}/dist/webview.js`); result.fetch = 'loaded'; } catch (e) { result.fetch = e.name; }
    document.head.append(el('<base href="https://example.com/">'));
    const form = el('<form action="https://example.com/collect" method="post"><input name="a" value="b"></form>');
    document.body.append(form);
    form.requestSubmit();
    // Violations are reported asynchronously.
    for (let i = 0; i < 100 && window.__test.violations.length < 12; i++) await new Promise((r) => setTimeout(r, 20));
    result.timerString = window.__timerString === true;
    result.violations = window.__test.violations.map((v) => v.directive).sort();
    return result;
  }, origin);
  assert.deepEqual(outcome, {
    inlineScript: false,
    eval: 'EvalError',
    function: 'EvalError',
    timerString: false,
    styleAttribute: false,
    styleElement: false,
    handler: false,
    fetch: 'TypeError',
    violations: ['base-uri', 'connect-src', 'form-action', 'img-src', 'script-src', 'script-src', 'script-src', 'script-src-attr', 'script-src-elem', 'script-src-elem',
      'style-src-attr', 'style-src-elem'].sort(),
  });
  assert.equal(new URL(page.url()).origin, origin, 'the form did not navigate away');
  // Chromium logs each refusal as a console error; nothing else went wrong.
  assert.deepEqual(problems.filter((p) => !/Content Security Policy|net::ERR_BLOCKED_BY_CSP|Refused to/.test(p)), []);
  await page.close();
});
