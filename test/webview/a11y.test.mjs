// The panel for keyboard and screen-reader users: with everything drawn axe-core finds no serious
// or critical violation in the light, dark and high-contrast themes; Tab reaches every chart and
// heatmap, whose arrow keys move a cursor that the live region reads out (checked against the
// data drawn); each has a data table behind a toggle; the run list's buttons name their run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  axeViolations, forgetAt, gateTrace, liveText, loadEverything, RUNS, seq2seqView, tabTo, TOKENS, TRAIN, UNITS, VAL,
} from './a11yFixtures.mjs';
import { gradFlowFixture, gradHistoryFixture } from './fixtures.mjs';
import { assertClean, usePanelBrowser } from './harness.mjs';
import { THEMES } from './themes.mjs';

const lab = usePanelBrowser();

const rgb = (hex) => `rgb(${[1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
const report = (violations) => violations.map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `  ${n.target}\n    ${n.summary.replace(/\n/g, '\n    ')}`).join('\n')}`).join('\n');

for (const theme of ['light', 'dark', 'hc']) {
  test(`axe-core: no serious or critical violation in the ${theme} theme with everything drawn`, async (t) => {
    const { page, problems } = await lab.open({ theme });
    // A diverged run shows its message in the error colour; the form shows a refused value's reason.
    await loadEverything(page, { status: 'diverged', statusMessage: 'Loss became NaN at step 300; kept the checkpoint from step 290.' });
    await page.locator('#config-card summary').click();
    await page.locator('#form-hiddenSize').evaluate((e) => { e.value = '99999'; e.dispatchEvent(new Event('input')); });
    assert.match(await page.locator('#form-hiddenSize-error').textContent(), /from/);
    // A table open, and a heatmap with the keyboard's cursor and tooltip on it.
    await tabTo(page, '#gates-heatmap');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator('#gates-tooltip').isVisible(), true);

    const violations = await axeViolations(page);
    const counts = {};
    for (const v of violations) counts[v.impact] = (counts[v.impact] ?? 0) + v.nodes.length;
    t.diagnostic(`axe ${theme}: ${violations.length} rules, nodes by impact ${JSON.stringify(counts)}`);
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious.map((v) => v.id), [], report(serious));
    await assertClean(page, problems);
  });
}

test('keyboard: Tab reaches the loss chart; its cursor walks the points and the live region reads them; + − 0 zoom', async () => {
  const { page, problems } = await lab.open({ theme: 'dark' });
  await loadEverything(page);
  assert.equal(await page.locator('#live-region').getAttribute('aria-live'), 'polite');
  await tabTo(page, '#loss-chart');
  const chart = page.locator('#loss-chart');
  assert.equal(await chart.getAttribute('role'), 'application');
  assert.match(await chart.getAttribute('aria-label'), /loss/);
  const hint = page.locator(`#${await chart.getAttribute('aria-describedby')}`);
  assert.match(await hint.textContent(), /← →.*Home End.*PgUp PgDn.*\+ − zoom.*0 whole run/);
  assert.equal(await hint.isVisible(), true, 'the keys are shown while the chart has focus');
  const [style, colour] = await chart.evaluate((el) => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineColor]);
  assert.deepEqual([style, colour], ['solid', rgb(THEMES.dark.vars['--vscode-focusBorder'])], 'a focus ring in the theme\'s focus colour');

  const point = (i) => new RegExp(`^step ${TRAIN[i].step}: train ${TRAIN[i].loss.toFixed(3)}, smoothed \\d\\.\\d{3} nats \\(point ${i + 1} of 300\\)$`);
  // uPlot's own hover cursor is what the keys move: its vertical line's x in px.
  const cursorX = () => chart.locator('.u-cursor-x').evaluate((e) => Number(/translate\((-?[\d.]+)px/.exec(e.style.transform)?.[1]));
  assert.match(await liveText(page), point(299), 'focus starts at the latest point');
  const atLatest = await cursorX();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.match(await liveText(page), point(297));
  const moved = await cursorX();
  assert.ok(moved > 0 && moved < atLatest, `the drawn cursor moved left: ${atLatest} → ${moved}`);
  await page.keyboard.press('Home');
  assert.equal(await liveText(page), `step 0: train ${TRAIN[0].loss.toFixed(3)}, smoothed ${TRAIN[0].loss.toFixed(3)}, validation ${VAL[0].loss.toFixed(3)} nats (point 1 of 300)`);
  assert.ok((await cursorX()) < moved);
  await page.keyboard.press('PageDown');
  assert.match(await liveText(page), point(30), 'PgDn jumps a tenth of the points');

  await page.keyboard.press('+');
  assert.equal(await chart.getAttribute('data-zoomed'), 'true');
  const [, from, to] = /^Zoomed to steps (\d+) to (\d+)$/.exec(await liveText(page)) ?? [];
  assert.ok(Number(from) <= 30 && Number(to) >= 30 && Number(to) - Number(from) < 200, `zoomed around the cursor: ${from}–${to}`);
  await page.keyboard.press('End');
  assert.match(await liveText(page), point(299));
  await page.locator('#loss-chart[data-x-max="299"]').waitFor({ timeout: 5_000 });
  await page.keyboard.press('0');
  assert.equal(await chart.getAttribute('data-zoomed'), 'false');
  assert.equal(await liveText(page), 'Whole run: steps 0 to 299');
  await assertClean(page, problems);
});

test('keyboard: the gate heatmap\'s cursor walks units × tokens and names the unit, token and value; Space pins, Enter goes to the token', async () => {
  const { page, problems } = await lab.open({ theme: 'light' });
  await loadEverything(page);
  await tabTo(page, '#gates-heatmap');
  const cell = (u, t, pinned = false) => `unit ${u}${pinned ? ' (pinned)' : ''}, token ${t + 1} of ${TOKENS.length} ${JSON.stringify(TOKENS[t])}: forget = ${forgetAt(t, u).toFixed(3)}`;
  assert.equal(await liveText(page), cell(0, 0));
  for (const key of ['ArrowRight', 'ArrowRight', 'ArrowDown']) await page.keyboard.press(key);
  assert.equal(await liveText(page), cell(1, 2));
  assert.equal(await page.locator('#gates-tooltip').textContent(), cell(1, 2), 'the hover\'s tooltip shows the same cell');
  // The outline sits over that cell of the canvas.
  const canvas = await page.locator('#gates-heatmap .gate-canvas').boundingBox();
  const box = await page.locator('#gates-heatmap .cell-cursor').boundingBox();
  const [cx, cy] = [box.x + box.width / 2 - canvas.x, box.y + box.height / 2 - canvas.y];
  assert.equal(Math.floor((cx / canvas.width) * TOKENS.length), 2, `outline column at ${cx}`);
  assert.equal(Math.floor((cy / canvas.height) * UNITS), 1, `outline row at ${cy}`);

  await page.keyboard.press('End');
  assert.equal(await liveText(page), cell(1, TOKENS.length - 1));
  await page.keyboard.press('PageDown');
  assert.equal(await liveText(page), cell(3, TOKENS.length - 1), 'PgDn jumps units');
  await page.keyboard.press('Home');
  await page.keyboard.press(' ');
  assert.equal(await liveText(page), 'unit 3 pinned to the top');
  assert.equal(await page.locator('#gates-heatmap').getAttribute('data-pinned'), '3');
  await page.keyboard.press('ArrowRight');
  assert.equal(await liveText(page), cell(3, 1, true), 'the cursor followed its unit to the top row');
  await page.keyboard.press('ArrowDown');
  assert.equal(await liveText(page), cell(0, 1));
  await page.keyboard.press('Enter');
  assert.deepEqual((await page.evaluate(() => window.__test.posted)).filter((m) => m.type === 'reveal'), [{ type: 'reveal', offset: gateTrace().offsets[1] }]);
  await assertClean(page, problems);
});

test('keyboard: gradient chart and heatmap, saturation plots and the seq2seq charts read out their own data', async () => {
  const { page, problems } = await lab.open({ theme: 'hc' });
  await loadEverything(page);
  const flow = gradFlowFixture();
  await tabTo(page, '#grad-chart');
  assert.equal(await liveText(page), 'lag 0: h 1.00, c 1.00 (relative to lag 0)');
  await page.keyboard.press('ArrowRight');
  assert.equal(await liveText(page), `lag 1: h ${(flow.h[1] / flow.h[0]).toPrecision(3)}, c ${(flow.c[1] / flow.c[0]).toPrecision(3)} (relative to lag 0)`);

  const history = gradHistoryFixture();
  const last = history.at(-1);
  await tabTo(page, '#grad-heatmap');
  await page.keyboard.press('ArrowDown');
  assert.equal(await liveText(page), `step ${last.step} (measurement ${history.length} of ${history.length}), lag 1: ${(last.h[1] / last.h[0]).toPrecision(2)} of lag 0`);

  await tabTo(page, '#gates-saturation figure[data-gate="input"] canvas');
  assert.equal(await liveText(page), 'input gate, unit 0: shut 0%, open 100% (also units 2, 4, 6)');
  await page.keyboard.press('ArrowRight');
  assert.equal(await liveText(page), 'input gate, unit 1: shut 100%, open 0% (also units 3, 5, 7)');

  const view = seq2seqView();
  await tabTo(page, '#s2s-accuracy');
  await page.keyboard.press('ArrowLeft');
  const e = view.evals[1];
  assert.equal(await liveText(page), `after ${e.seconds} s, step ${e.step}: exact match ${(100 * e.exactMatch).toFixed(1)}%, token accuracy ${(100 * e.tokenAccuracy).toFixed(1)}% (evaluation 2 of 3)`);
  assert.equal(await page.locator('#s2s-accuracy circle.cursor').count(), 2, 'a mark on each line');

  await tabTo(page, '#s2s-attention');
  for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowRight');
  const weight = (r, c) => view.attention.weights[r][c].toFixed(3);
  assert.equal(await liveText(page), `wrote d (p 0.97), looking at d (source 8): ${weight(0, 7)}`);
  await page.keyboard.press('ArrowDown');
  assert.equal(await liveText(page), `wrote e (p 0.97), looking at d (source 8): ${weight(1, 7)}`);
  await tabTo(page, '#s2s-grad');
  await page.keyboard.press('End');
  assert.equal(await liveText(page), `source position 8 of 8: gradient norm ${view.sourceGradNorms[7].toPrecision(3)}`);
  await assertClean(page, problems);
});

test('"Show data as table": a toggle with aria-expanded shows the data as a table, a row per point, unit or written token', async () => {
  const { page, problems } = await lab.open({ theme: 'dark' });
  await loadEverything(page);
  const toggle = (name) => page.locator(`.table-toggle[aria-label$=": ${name}"]`);
  const open = async (name) => {
    await tabTo(page, `.table-toggle[aria-label$=": ${name}"]`);
    await page.keyboard.press('Enter');
    assert.equal(await toggle(name).getAttribute('aria-expanded'), 'true');
    return page.locator(`#${await toggle(name).getAttribute('aria-controls')}`);
  };
  assert.equal(await toggle('loss').getAttribute('aria-expanded'), 'false');
  assert.equal(await toggle('loss').textContent(), 'Show data as table');
  const loss = await open('loss');
  const steps = new Set([...TRAIN, ...VAL].map((p) => p.step));
  assert.equal(await loss.locator('tbody tr').count(), steps.size);
  assert.deepEqual(await loss.locator('thead th').allTextContents(), ['step', 'train', 'smoothed (0.60)', 'validation']);
  const row = async (region, i) => region.locator('tbody tr').nth(i).locator('th, td').allTextContents();
  assert.deepEqual((await row(loss, 297)).filter((_, k) => k !== 2), ['297', TRAIN[297].loss.toFixed(3), '–']);
  assert.deepEqual((await row(loss, 20)).filter((_, k) => k !== 2), ['20', TRAIN[20].loss.toFixed(3), VAL[1].loss.toFixed(3)]);

  const gates = await open('gates and states');
  assert.equal(await gates.locator('tbody tr').count(), UNITS);
  const mean = (u) => TOKENS.reduce((s, _, t) => s + forgetAt(t, u), 0) / TOKENS.length;
  assert.deepEqual((await row(gates, 5)).slice(0, 4), ['5', mean(5).toFixed(3), forgetAt(0, 5).toFixed(3), forgetAt(TOKENS.length - 1, 5).toFixed(3)]);

  const attention = await open('attention');
  assert.equal(await attention.locator('tbody tr').count(), seq2seqView().attention.output.length);

  await page.keyboard.press('Enter');
  assert.equal(await toggle('attention').getAttribute('aria-expanded'), 'false');
  assert.equal(await attention.isVisible(), false);
  await assertClean(page, problems);
});

test('run list: the compare box, Resume and Delete say which run they act on; form fields carry their labels', async () => {
  const { page, problems } = await lab.open({ theme: 'light' });
  await loadEverything(page);
  const names = [];
  for (const r of RUNS) {
    const run = `${r.run.cell} ${r.run.layers}×${r.run.hiddenSize} · ${r.run.fileName.split(/[\\/]/).pop()}`;
    const row = page.locator(`#runs-body tr[data-run-id="${r.run.runId}"]`);
    const label = (selector) => row.locator(selector).getAttribute('aria-label');
    const pick = await label('input[type=checkbox]');
    assert.ok(pick.startsWith(`Show run ${run} · `) && pick.endsWith(' on the charts'), pick);
    names.push(pick);
    if (await row.locator('.run-resume').count()) assert.ok((await label('.run-resume')).startsWith(`Resume run ${run} · `));
    if (await row.locator('.run-delete').count()) assert.ok((await label('.run-delete')).startsWith(`Delete run ${run} · `));
  }
  assert.equal(new Set(names).size, RUNS.length, 'every row\'s name is its own');
  assert.equal(await page.locator('#runs-body .run-delete').count(), 2);

  await page.locator('#config-card summary').click();
  const fields = await page.locator('#config-form .form-field').evaluateAll((els) => els.map((f) => {
    const control = f.querySelector('[data-field]');
    const inner = control.shadowRoot.querySelector('input, [role="combobox"], [aria-haspopup]');
    return [f.querySelector('label').textContent, inner?.getAttribute('aria-label') ?? null];
  }));
  assert.ok(fields.length > 8, `${fields.length} fields`);
  for (const [label, name] of fields) assert.equal(name, label);
  await assertClean(page, problems);
});
