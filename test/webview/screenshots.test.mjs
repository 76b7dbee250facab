// Screenshots of a training run in VS Code's light, dark and high-contrast themes, written to
// test-results/panel-{light,dark,hc}.png for people to look at, plus the checks a look would make.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gradFlowFixture, gradHistoryFixture, lossCurve, snapshot } from './fixtures.mjs';
import { colourOnChart, launchBrowser, nextFrames, openPanel, RESULTS, requireBuild, send, startPanelServer, waitForPoints } from './harness.mjs';
import { THEMES } from './themes.mjs';

let server;
let browser;

before(async () => {
  requireBuild();
  mkdirSync(RESULTS, { recursive: true });
  server = await startPanelServer();
  browser = await launchBrowser({ deviceScaleFactor: 1, width: 820, height: 860 });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const SAMPLE = [
  'KING RICHARD III:',
  'Why, then the world is mine oyster, which I with sword',
  'shall open. What say you to the hour of the night?',
  '',
  'QUEEN ELIZABETH:',
  'My lord, the tongue that bids thee speak the sun',
].join('\n');

/** WCAG contrast ratio of the text colour of `selector` against the page background. */
async function textContrast(page, selector) {
  return page.evaluate((sel) => {
    const channels = (css) => css.match(/[\d.]+/g).slice(0, 3).map(Number);
    const luminance = (rgb) => {
      const [r, g, b] = rgb.map((c) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const fg = luminance(channels(getComputedStyle(document.querySelector(sel)).color));
    const bg = luminance(channels(getComputedStyle(document.body).backgroundColor));
    return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  }, selector);
}

for (const theme of ['light', 'dark', 'hc']) {
  test(`panel reads well in the ${theme} theme (test-results/panel-${theme}.png)`, async () => {
    const { page, problems } = await openPanel(browser.context, server, { theme });
    await send(page,
      snapshot({ train: lossCurve(0, 600), val: lossCurve(0, 24, 25, 0.12), charsPerSec: 25_812, sample: SAMPLE, gradFlow: gradFlowFixture(), gradHistory: gradHistoryFixture() }),
      { type: 'sample', runId: 'run-1', step: 575, text: SAMPLE },
    );
    await waitForPoints(page, 600, 24);
    await nextFrames(page);
    await page.screenshot({ path: join(RESULTS, `panel-${theme}.png`), fullPage: true });

    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor),
      await page.evaluate((hex) => { const el = document.createElement('div'); el.style.color = hex; document.body.append(el); const c = getComputedStyle(el).color; el.remove(); return c; },
        THEMES[theme].vars['--vscode-editor-background']), 'the page uses the editor background');
    for (const selector of ['#run-file', '#run-config', '#status-line', '#sample', '.legend']) {
      const ratio = await textContrast(page, selector);
      assert.ok(ratio >= 4.5, `${selector} contrast ${ratio.toFixed(2)} in ${theme}`);
    }
    for (const variable of ['--vscode-charts-blue', '--vscode-charts-orange']) {
      const line = await colourOnChart(page, THEMES[theme].vars[variable], 24);
      assert.ok(line.columns > line.width * 0.6, `${variable} line in ${theme}: ${JSON.stringify(line)}`);
    }
    assert.deepEqual(await page.evaluate(() => window.__test.violations), []);
    assert.deepEqual(problems, []);
    await page.close();
  });
}
