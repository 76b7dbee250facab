// The panel in a real browser: what it draws and says for each host message, and what it posts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_SNAPSHOT, lossCurve, runInfo, snapshot, traceFixture } from './fixtures.mjs';
import { assertClean, colourOnChart, nextFrames, send, switchTheme, usePanelBrowser, waitForPoints } from './harness.mjs';
import { THEMES } from './themes.mjs';

const lab = usePanelBrowser();

const text = (page, selector) => page.locator(selector).innerText();
const posted = (page) => page.evaluate(() => window.__test.posted);

test('posts ready once on load and shows the empty state', async () => {
  const { page, problems } = await lab.open();
  assert.deepEqual(await posted(page), [{ type: 'ready' }]);
  assert.match(await text(page, '#empty-state'), /Run LSTM Lab: Train LSTM on File on an open file to start/);
  assert.equal(await page.locator('#run-view').isVisible(), false);
  assert.equal(await page.locator('#stop-button').getAttribute('disabled'), '');
  await assertClean(page, problems);
});

test('a snapshot draws the falling train line and the val line in the theme colours', async () => {
  const { page, problems } = await lab.open({ theme: 'dark' });
  await send(page, snapshot({ train: lossCurve(0, 300), val: lossCurve(0, 15, 20, 0.15) }));
  await waitForPoints(page, 300, 15);

  const train = await colourOnChart(page, THEMES.dark.vars['--vscode-charts-blue']);
  const val = await colourOnChart(page, THEMES.dark.vars['--vscode-charts-orange']);
  // Both lines span most of the plot's width, and both fall from left to right.
  for (const [name, line] of [['train', train], ['val', val]]) {
    assert.ok(line.count > 500, `${name} line pixels: ${JSON.stringify(line)}`);
    assert.ok(line.columns > line.width * 0.6, `${name} line covers ${line.columns} of ${line.width} columns`);
    assert.ok(line.meanYLeft < line.meanYRight, `${name} line should fall: ${JSON.stringify(line)}`);
  }
  // Val is drawn above train (its loss is higher) where both exist.
  assert.ok(val.meanYRight < train.meanYRight, `val above train: ${val.meanYRight} vs ${train.meanYRight}`);
  await assertClean(page, problems);
});

test('the header and status line show the run, latest losses in nats and bits/char, and speed', async () => {
  const { page, problems } = await lab.open();
  const train = lossCurve(0, 300);
  const val = lossCurve(0, 15, 20, 0.15);
  await send(page, snapshot({ train, val, charsPerSec: 25_812.4 }));
  await waitForPoints(page, 300, 15);

  assert.equal(await text(page, '#run-file'), 'sonnets.txt');
  assert.equal(await page.locator('#run-file').getAttribute('title'), '/home/user/poems/sonnets.txt');
  const config = (await text(page, '#run-config')).replace(/\s+/g, ' ');
  for (const part of ['cell lstm', 'hidden 128', 'seq 64', 'batch 32', 'lr 0.002', 'vocab 65', 'tokens 1M train · 112K val']) {
    assert.ok(config.includes(part), `config "${config}" lacks "${part}"`);
  }
  const status = (await text(page, '#status-line')).replace(/\s+/g, ' ');
  const nats = (x) => x.toFixed(3);
  const bits = (x) => (x / Math.LN2).toFixed(3);
  const lastTrain = train.at(-1).loss;
  const lastVal = val.at(-1).loss;
  for (const part of ['Training', 'step 299', `train ${nats(lastTrain)} nats (${bits(lastTrain)} bits/char)`,
    `val ${nats(lastVal)} nats (${bits(lastVal)} bits/char)`, '25,812 chars/s']) {
    assert.ok(status.includes(part), `status "${status}" lacks "${part}"`);
  }
  assert.match(await text(page, '#sample'), /^Shall I compare thee/);
  await assertClean(page, problems);
});

test('metrics append, samples and status messages update the panel, other runs are ignored', async () => {
  const { page, problems } = await lab.open();
  await send(page, snapshot({ train: lossCurve(0, 100), val: lossCurve(0, 5, 20) }));
  await waitForPoints(page, 100, 5);

  await send(page,
    { type: 'metrics', runId: 'run-1', train: lossCurve(100, 20), val: [], charsPerSec: 31_000 },
    { type: 'metrics', runId: 'run-1', train: lossCurve(110, 20), val: lossCurve(100, 1, 20), charsPerSec: 30_500 },
    { type: 'metrics', runId: 'old-run', train: lossCurve(500, 50), val: lossCurve(500, 5), charsPerSec: 1 },
    { type: 'unknown-future-message', runId: 'run-1' },
    { type: 'metrics', runId: 'run-1', train: [{ step: 130, loss: Number.NaN }, { step: 'x', loss: 1 }], val: 'nope', charsPerSec: -1 },
    { type: 'sample', runId: 'run-1', step: 129, text: '<b>not bold</b>\tand a tab' },
  );
  // Steps 110..119 repeat what the first message brought; only the new points count.
  await waitForPoints(page, 130, 6);
  let status = await text(page, '#status-line');
  assert.match(status, /step 129/);
  assert.match(status, /30,500 chars\/s/);
  assert.equal(await text(page, '#sample'), '<b>not bold</b>\tand a tab');
  assert.equal(await page.locator('#sample b').count(), 0, 'sample text must not be parsed as HTML');
  assert.equal(await text(page, '#sample-step'), 'at step 129');

  await send(page, { type: 'status', runId: 'run-1', status: 'diverged', message: 'Loss became NaN at step 130; kept the checkpoint from step 120.' });
  await page.waitForFunction(() => document.getElementById('status-state')?.textContent === 'Diverged');
  assert.equal(await text(page, '#status-message'), 'Loss became NaN at step 130; kept the checkpoint from step 120.');
  assert.equal(await page.locator('#stop-button').getAttribute('disabled'), '');
  assert.equal(await page.locator('#train-button').getAttribute('disabled'), null);
  status = await text(page, '#status-line');
  assert.doesNotMatch(status, /Training/);
  await assertClean(page, problems);
});

test('Stop posts {type:"stop"} while running, Train posts {type:"train"} when not', async () => {
  const { page, problems } = await lab.open();
  await send(page, snapshot({ status: 'running' }));
  await page.waitForFunction(() => !document.getElementById('stop-button')?.hasAttribute('disabled'));

  // Clicks on a disabled button go nowhere; force past Playwright's own actionability checks.
  await page.locator('#train-button').click({ force: true });
  await page.locator('#stop-button').click();
  await page.locator('#stop-button').focus();
  await page.keyboard.press('Enter');
  assert.deepEqual(await posted(page), [{ type: 'ready' }, { type: 'stop' }, { type: 'stop' }]);

  await send(page, { type: 'status', runId: 'run-1', status: 'stopped', message: null });
  await page.waitForFunction(() => document.getElementById('stop-button')?.hasAttribute('disabled'));
  await page.locator('#stop-button').click({ force: true });
  await page.locator('#train-button').click();
  assert.deepEqual((await posted(page)).slice(3), [{ type: 'train' }]);
  await assertClean(page, problems);
});

test('a flood of metrics messages is drawn in a few frames, not one per message', async () => {
  const { page, problems } = await lab.open();
  await send(page, snapshot({ train: [], val: [] }));
  await waitForPoints(page, 0, 0);
  const before = await page.evaluate(() => window.__test.strokes);
  const messages = 3000;
  await page.evaluate((n) => {
    for (let step = 0; step < n; step++) {
      const loss = 1.4 + 2.8 * Math.exp(-step / 600);
      window.postMessage({ type: 'metrics', runId: 'run-1', train: [{ step, loss }], val: step % 100 === 0 ? [{ step, loss: loss + 0.1 }] : [], charsPerSec: 26_000 }, '*');
    }
  }, messages);
  await waitForPoints(page, messages, messages / 100);
  const strokes = (await page.evaluate(() => window.__test.strokes)) - before;
  // One chart draw strokes a handful of paths (lines, grid, ticks); a draw per message would be ~18,000.
  assert.ok(strokes < 300, `${strokes} canvas strokes for ${messages} messages`);
  const train = await colourOnChart(page, THEMES.dark.vars['--vscode-charts-blue']);
  assert.ok(train.columns > train.width * 0.6, `train line after the flood: ${JSON.stringify(train)}`);
  await assertClean(page, problems);
});

test('a snapshot replaces everything; an empty one returns to the empty state', async () => {
  const { page, problems } = await lab.open();
  await send(page, snapshot({ train: lossCurve(0, 300), val: lossCurve(0, 15, 20) }));
  await waitForPoints(page, 300, 15);

  await send(page, snapshot({ run: runInfo({ runId: 'run-2', fileName: 'C:\\logs\\build.log', hiddenSize: 256, cell: 'gru', layers: 2 }), train: lossCurve(0, 40), val: [], status: 'completed', sample: null }));
  await waitForPoints(page, 40, 0);
  assert.equal(await text(page, '#run-file'), 'build.log');
  assert.match(await text(page, '#run-config'), /hidden\s+256/);
  assert.match(await text(page, '#run-config'), /cell\s+gru × 2/);
  assert.match(await text(page, '#status-line'), /Completed/);
  assert.equal(await text(page, '#sample'), 'No sample yet.');
  const val = await colourOnChart(page, THEMES.dark.vars['--vscode-charts-orange']);
  assert.equal(val.count, 0, 'the old run\'s val line is gone');
  // A message for the replaced run no longer lands.
  await send(page, { type: 'metrics', runId: 'run-1', train: lossCurve(300, 10), val: [], charsPerSec: 1 });
  await send(page, { type: 'metrics', runId: 'run-2', train: lossCurve(40, 2), val: [], charsPerSec: 1 });
  await waitForPoints(page, 42, 0);

  await send(page, EMPTY_SNAPSHOT);
  await waitForPoints(page, 0, 0);
  assert.equal(await page.locator('#empty-state').isVisible(), true);
  assert.equal(await page.locator('#run-view').isVisible(), false);
  assert.equal(await text(page, '#run-file'), 'LSTM Lab');
  await assertClean(page, problems);
});

test('saved state redraws at once after hide/show, and the host snapshot still wins', async () => {
  const first = await lab.open();
  await send(first.page, snapshot({ train: lossCurve(0, 250), val: lossCurve(0, 12, 20) }));
  await send(first.page, { type: 'sample', runId: 'run-1', step: 249, text: 'saved sample' });
  await waitForPoints(first.page, 250, 12);
  await first.page.waitForFunction(() => window.__test.state?.snapshot?.sample === 'saved sample', undefined, { timeout: 5000 });
  const savedState = await first.page.evaluate(() => window.__test.state);
  await assertClean(first.page, first.problems);

  // A new page stands for the re-created webview: VS Code hands back the saved state.
  const { page, problems } = await lab.open({ savedState });
  await waitForPoints(page, 250, 12);
  assert.equal(await text(page, '#sample'), 'saved sample');
  assert.equal(await text(page, '#sample-step'), 'at step 249');
  const train = await colourOnChart(page, THEMES.dark.vars['--vscode-charts-blue']);
  assert.ok(train.columns > train.width * 0.6, `restored train line: ${JSON.stringify(train)}`);

  await send(page, snapshot({ train: lossCurve(0, 260), val: lossCurve(0, 13, 20), sample: 'from the host' }));
  await waitForPoints(page, 260, 13);
  assert.equal(await text(page, '#sample'), 'from the host');
  assert.equal(await text(page, '#sample-step'), '');
  await assertClean(page, problems);
});

test('garbage saved state is ignored', async () => {
  const { page, problems } = await lab.open({ savedState: { version: 99, snapshot: 'x' } });
  assert.equal(await page.locator('#empty-state').isVisible(), true);
  await assertClean(page, problems);
});

test('switching theme recolours the lines from the new theme variables', async () => {
  const { page, problems } = await lab.open({ theme: 'light' });
  await send(page, snapshot());
  await waitForPoints(page, 300, 15);
  const lightBlue = THEMES.light.vars['--vscode-charts-blue'];
  const darkBlue = THEMES.dark.vars['--vscode-charts-blue'];
  assert.ok((await colourOnChart(page, lightBlue, 6)).count > 500, 'light theme train colour');
  assert.equal((await colourOnChart(page, darkBlue, 6)).count, 0, 'no dark theme colour yet');

  await switchTheme(page, 'dark');
  await waitForPoints(page, 300, 15);
  const after = await colourOnChart(page, darkBlue, 6);
  assert.ok(after.count > 500, `dark theme train colour after the switch: ${JSON.stringify(after)}`);
  assert.equal((await colourOnChart(page, lightBlue, 6)).count, 0, 'light theme colour is gone');
  await assertClean(page, problems);
});

test('the CSP is in force: inline styles, inline scripts and eval are blocked and reported', async () => {
  const { page, problems } = await lab.open();
  await page.evaluate(() => {
    document.body.setAttribute('style', 'outline: 1px solid red');
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true';
    document.body.append(script);
    // A string timer is eval; it runs outside DevTools' evaluate, which is exempt from the CSP.
    setTimeout('window.__evalRan = true', 0);
  });
  await page.waitForFunction(() => window.__test.violations.length >= 3);
  const directives = (await page.evaluate(() => window.__test.violations)).map((v) => v.directive).sort();
  assert.deepEqual(directives, ['script-src-elem', 'script-src', 'style-src-attr'].sort());
  assert.equal(await page.evaluate(() => window.__inlineRan), undefined);
  assert.equal(await page.evaluate(() => window.__evalRan), undefined);
  await page.close();
  // Chromium also logs each refusal to the console; those are expected here.
  assert.ok(problems.every((p) => /Content Security Policy/.test(p)), problems.join('\n'));
});

test('gradient flow: a vanishing h and a steadier c on a log scale, with the step and clipping shown', async () => {
  const { page, problems } = await lab.open({ theme: 'dark' });
  await send(page, snapshot());
  assert.equal(await page.locator('#grad-placeholder').isVisible(), true);
  const lags = Array.from({ length: 64 }, (_, k) => k);
  // Malformed measurements are ignored.
  await send(page, { type: 'gradFlow', runId: 'run-1', gradFlow: { step: 1, h: [1, -2], c: [], clipped: false } });
  await send(page, { type: 'gradFlow', runId: 'other-run', gradFlow: { step: 1, h: [1, 0.5], c: [], clipped: false } });
  await send(page, { type: 'gradFlow', runId: 'run-1', gradFlow: { step: 40, h: lags.map((k) => 2 * 0.5 ** k), c: lags.map((k) => 3 * 0.97 ** k), clipped: true } });
  await page.locator('#grad-chart[data-lags="64"]').waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('#grad-placeholder').isVisible(), false);
  assert.equal(await text(page, '#grad-step'), 'at step 40 · clipped');
  const h = await colourOnChart(page, THEMES.dark.vars['--vscode-charts-blue'], 12, '#grad-chart canvas');
  const c = await colourOnChart(page, THEMES.dark.vars['--vscode-charts-orange'], 12, '#grad-chart canvas');
  for (const [name, line] of [['h', h], ['c', c]]) {
    assert.ok(line.count > 200 && line.columns > line.width * 0.6, `${name} line: ${JSON.stringify(line)}`);
    assert.ok(line.meanYLeft < line.meanYRight, `${name} falls with the lag: ${JSON.stringify(line)}`);
  }
  // Relative to lag 0 both start at 1; h ends far lower (0.5^63) than c (0.97^63).
  assert.ok(h.meanYRight > c.meanYRight + 20, `h below c at long lags: ${h.meanYRight} vs ${c.meanYRight}`);
  // As absolute norms, c (3 at lag 0) starts above h (2 at lag 0).
  await page.locator('#grad-relative').click();
  await page.locator('#grad-chart[data-relative="false"][data-lags="64"]').waitFor({ timeout: 5_000 });
  await nextFrames(page);
  const hAbs = await colourOnChart(page, THEMES.dark.vars['--vscode-charts-blue'], 12, '#grad-chart canvas');
  const cAbs = await colourOnChart(page, THEMES.dark.vars['--vscode-charts-orange'], 12, '#grad-chart canvas');
  assert.ok(cAbs.meanYLeft < hAbs.meanYLeft, `absolute: c above h at short lags: ${cAbs.meanYLeft} vs ${hAbs.meanYLeft}`);
  await assertClean(page, problems);
});

test('gradient flow over training: one column per measurement, lighter where the gradient reaches further, clipping marked', async () => {
  const { page, problems } = await lab.open({ theme: 'light' });
  await send(page, snapshot());
  // The decay per step slows as training goes on: later columns stay lighter deeper down.
  for (let n = 0; n < 12; n++) {
    const rate = 0.5 + 0.04 * n;
    await send(page, { type: 'gradFlow', runId: 'run-1', gradFlow: { step: 10 * (n + 1), h: Array.from({ length: 64 }, (_, k) => rate ** k), c: [], clipped: n === 3 } });
  }
  await page.locator('#grad-heatmap[data-columns="12"][data-lags="64"]').waitFor({ timeout: 5_000 });
  assert.match(await text(page, '#grad-heatmap-caption'), /steps 10–120 · 12 measurements · red ticks: clipped/);
  const px = await page.evaluate(() => {
    const shown = document.querySelector('#grad-heatmap canvas');
    // Read a copy, so Chromium's readback advice is about our canvas, not the panel's.
    const canvas = document.createElement('canvas');
    canvas.width = shown.width;
    canvas.height = shown.height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(shown, 0, 0);
    const at = (fx, fy) => Array.from(ctx.getImageData(Math.floor(canvas.width * fx), Math.floor(canvas.height * fy), 1, 1).data);
    return { early: at(0.02, 0.5), late: at(0.98, 0.5), top: at(0.5, 0.02), clip: at((3.5 / 12), 0.001), noClip: at((5.5 / 12), 0.001) };
  });
  const lum = ([r, g, b]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
  assert.ok(lum(px.late) > lum(px.early) + 40, `later measurements are lighter at lag 32: ${px.early} → ${px.late}`);
  assert.deepEqual(px.clip.slice(0, 3), [230, 60, 60], 'the clipped measurement is marked');
  assert.notDeepEqual(px.noClip.slice(0, 3), [230, 60, 60]);
  await assertClean(page, problems);
});

test('loss controls: bits, log y and smoothing redraw the chart, and are kept in the saved state', async () => {
  const { page, problems } = await lab.open({ theme: 'dark' });
  await send(page, snapshot({ train: lossCurve(0, 300), val: lossCurve(0, 15, 20, 0.15) }));
  await waitForPoints(page, 300, 15);
  const chart = page.locator('#loss-chart');
  assert.equal(await chart.getAttribute('data-units'), 'nats');
  /** Mean jump of the full-colour train line between neighbouring columns: the wiggle. */
  const wiggle = () => page.evaluate((hex) => {
    const shown = document.querySelector('#loss-chart canvas');
    const c = document.createElement('canvas');
    c.width = shown.width; c.height = shown.height;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(shown, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    const t = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
    const ys = [];
    for (let x = 0; x < c.width; x++) {
      let sum = 0, n = 0;
      for (let y = 0; y < c.height; y++) {
        const i = (y * c.width + x) * 4;
        if (px[i + 3] > 200 && Math.abs(px[i] - t[0]) < 12 && Math.abs(px[i + 1] - t[1]) < 12 && Math.abs(px[i + 2] - t[2]) < 12) { sum += y; n++; }
      }
      if (n > 0) ys.push(sum / n);
    }
    let jump = 0;
    for (let i = 1; i < ys.length; i++) jump += Math.abs(ys[i] - ys[i - 1]);
    return { columns: ys.length, jump: jump / Math.max(1, ys.length - 1) };
  }, THEMES.dark.vars['--vscode-charts-blue']);

  await page.locator('#loss-smoothing').fill('0');
  await page.locator('#loss-chart[data-smoothing="0"]').waitFor();
  await nextFrames(page);
  const raw = await wiggle();
  await page.locator('#loss-smoothing').fill('0.95');
  await page.locator('#loss-chart[data-smoothing="0.95"]').waitFor();
  await nextFrames(page);
  const smooth = await wiggle();
  assert.equal(await text(page, '#loss-smoothing-value'), '0.95');
  assert.ok(raw.columns > 100 && smooth.columns > 100, `${JSON.stringify(raw)} ${JSON.stringify(smooth)}`);
  assert.ok(smooth.jump < raw.jump * 0.7, `smoothing calms the line: ${raw.jump.toFixed(2)} → ${smooth.jump.toFixed(2)} px`);

  await page.locator('#loss-bits').click();
  // The chart is rebuilt and counts its points again once it has drawn.
  await page.locator('#loss-chart[data-units="bits"][data-train-points="300"]').waitFor();
  // And from the keyboard, for a user tabbing to it.
  await page.locator('#loss-log').focus();
  await page.keyboard.press('Space');
  await page.locator('#loss-chart[data-log-y="true"][data-train-points="300"]').waitFor();
  await page.waitForTimeout(1200); // the saved state is written at most once a second
  const state = await page.evaluate(() => window.__test.state);
  assert.deepEqual(state.lossView, { bits: true, logY: true, smoothing: 0.95, time: false });
  await assertClean(page, problems);
});

test('the Sample and export buttons ask the host for a sample at the chosen temperature and for the metrics', async () => {
  const { page, problems } = await lab.open();
  await send(page, snapshot({ train: [] , val: [] }));
  await page.locator('#sample-button[disabled]').waitFor();
  await send(page, snapshot());
  await page.locator('#sample-button:not([disabled])').waitFor();
  await page.locator('#sample-temperature').fill('1.25');
  assert.equal(await text(page, '#sample-temperature-value'), '1.25');
  await page.locator('#sample-button').click();
  await page.locator('#export-csv').click();
  await page.locator('#export-json').click();
  assert.deepEqual((await posted(page)).slice(1), [{ type: 'sample', temperature: 1.25 }, { type: 'export', format: 'csv' }, { type: 'export', format: 'json' }]);
  await assertClean(page, problems);
});

test('gates and states: units × tokens heatmap, gate and layer choice, tooltip, token labels', async () => {
  const { page, problems } = await lab.open({ theme: 'dark' });
  await send(page, snapshot());
  assert.equal(await page.locator('#gates-placeholder').isVisible(), true);
  await send(page, { type: 'trace', runId: 'run-1', trace: { ...traceFixture(), tokens: ['x'] } }); // malformed: ignored
  await send(page, { type: 'trace', runId: 'run-1', trace: traceFixture() });
  const heatmap = page.locator('#gates-heatmap[data-tokens="11"][data-units="8"]');
  await heatmap.waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('#gates-heatmap').getAttribute('data-name'), 'forget', 'the forget gate is shown first');
  assert.equal(await page.locator('#gates-placeholder').isVisible(), false);
  assert.equal(await text(page, '#gates-step'), 'model at step 120');
  const pixel = (fx, fy) => page.evaluate(([x, y]) => {
    const shown = document.querySelector('#gates-heatmap .gate-canvas');
    const c = document.createElement('canvas');
    c.width = shown.width; c.height = shown.height;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(shown, 0, 0);
    return Array.from(ctx.getImageData(Math.floor(c.width * x), Math.floor(c.height * y), 1, 1).data.slice(0, 3));
  }, [fx, fy]);
  const lum = ([r, g, b]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // The forget gate rises along the text: the last token's column is lighter than the first's.
  assert.ok(lum(await pixel(0.97, 0.5)) > lum(await pixel(0.03, 0.5)) + 80);
  // h alternates in sign by unit: rows 0 and 1 are red and blue.
  await page.locator('#gates-name').evaluate((el) => { el.value = 'h'; el.dispatchEvent(new Event('change')); });
  await page.locator('#gates-heatmap[data-name="h"]').waitFor();
  const [r0, , b0] = await pixel(0.5, 0.5 / 8);
  const [r1, , b1] = await pixel(0.5, 1.5 / 8);
  assert.ok(r0 > b0 + 50 && b1 > r1 + 50, `unit 0 red (${r0},${b0}), unit 1 blue (${r1},${b1})`);
  assert.match(await text(page, '#gates-legend'), /blue.*red/);
  await page.locator('#gates-layer').evaluate((el) => { el.value = '1'; el.dispatchEvent(new Event('change')); });
  await page.locator('#gates-heatmap[data-layer="1"]').waitFor();
  await page.locator('#gates-heatmap .gate-canvas').scrollIntoViewIfNeeded();
  const box = await page.locator('#gates-heatmap .gate-canvas').boundingBox();
  await page.mouse.move(box.x + box.width * (4.5 / 11), box.y + box.height * (2.5 / 8));
  const tip = await page.locator('#gates-tooltip').evaluate((el) => ({ text: el.textContent, hidden: el.hidden }));
  assert.equal(tip.hidden, false, JSON.stringify(tip));
  assert.match(tip.text, /^unit 2 · "c" · h = 0\.800$/);
  // Clicking a column asks the host to show that token in the editor.
  await page.mouse.click(box.x + box.width * (8.5 / 11), box.y + box.height / 2);
  assert.deepEqual((await posted(page)).at(-1), { type: 'reveal', offset: 108 });
  // Ordered by mean, the positive units (even ones, red) come first.
  await page.locator('#gates-order').evaluate((el) => { el.value = 'mean'; el.dispatchEvent(new Event('change')); });
  await page.locator('#gates-heatmap[data-order="mean"]').waitFor();
  const top = await pixel(0.5, 1.5 / 8);
  const bottom = await pixel(0.5, 6.5 / 8);
  assert.ok(top[0] > top[2] + 50 && bottom[2] > bottom[0] + 50, `red rows above blue rows: ${top} / ${bottom}`);
  await assertClean(page, problems);
});
