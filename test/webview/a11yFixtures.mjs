// Data and helpers for the accessibility tests: a panel with everything drawn (a language-model
// run with its losses, gradients, gates and run list, and a seq2seq card), axe-core in the page,
// and keyboard-only navigation.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gradFlowFixture, gradHistoryFixture, lossCurve, runInfo, snapshot } from './fixtures.mjs';
import { nextFrames, send } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(join(dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');

export const TRAIN = lossCurve(0, 300);
export const VAL = lossCurve(0, 15, 20, 0.15);

export const TOKENS = [...'the cat sat'];
export const UNITS = 8;
/** forget of unit u at token t: different in every cell, so an announcement can only match its own cell. */
export const forgetAt = (t, u) => 0.01 + 0.08 * t + 0.009 * u;

/** A one-layer LSTM trace over "the cat sat" whose values tell every cell apart. */
export function gateTrace() {
  const values = {};
  for (const name of ['input', 'forget', 'output', 'candidate', 'c', 'h']) {
    values[name] = [];
    for (let t = 0; t < TOKENS.length; t++) {
      for (let u = 0; u < UNITS; u++) values[name].push(name === 'forget' ? forgetAt(t, u) : name === 'input' ? (u % 2 ? 0.02 : 0.97) : (u - 4) / 5);
    }
  }
  return { step: 120, tokens: TOKENS, offsets: TOKENS.map((_, i) => 100 + i), layers: [{ units: UNITS, values }], gates: ['input', 'forget', 'output'] };
}

const summary = (runId, cell, fileName, status, over = {}) => ({
  run: runInfo({ runId, cell, fileName, startedAt: Date.UTC(2025, 2, 14, 18, 36) }), status, message: null,
  trainLoss: 1.91, bestValLoss: 2.05, steps: 420, hasCheckpoint: true, name: null, note: null, ...over,
});

export const RUNS = [
  summary('run-1', 'lstm', '/home/user/poems/sonnets.txt', 'running', { hasCheckpoint: false }),
  summary('run-b', 'gru', 'C:\\notes\\prose.txt', 'completed'),
  summary('run-c', 'rnn', 'prose.txt', 'diverged', { message: 'Loss became NaN at step 130', trainLoss: null, bestValLoss: null, hasCheckpoint: false }),
];

const SOURCE = [...'stressed'];
const OUTPUT = [...'desserts', '</s>'];

/** A reversal task's card: attention on the mirrored position, three evaluations, eight gradient bars. */
export function seq2seqView() {
  const weights = OUTPUT.map((_, r) => SOURCE.map((_, c) => {
    const focus = r < SOURCE.length ? SOURCE.length - 1 - r : 0;
    return c === focus ? 0.9 : 0.1 / (SOURCE.length - 1);
  }));
  return {
    runId: 's2s-1', fileName: 'reverse.txt', status: 'running', message: null,
    summary: 'lstm 1×128, attention dot, char tokens, 60 s · 10,800 training pairs, 1,200 held out',
    step: 420, tokensPerSec: 17000,
    evals: [
      { step: 0, seconds: 0, loss: 3.3, tokenAccuracy: 0.05, exactMatch: 0 },
      { step: 150, seconds: 10, loss: 1.2, tokenAccuracy: 0.6, exactMatch: 0.1 },
      { step: 300, seconds: 20, loss: 0.2, tokenAccuracy: 0.99, exactMatch: 0.95 },
    ],
    examples: [
      { source: 'stressed', target: 'desserts', output: 'desserts', correct: true },
      { source: 'drawer', target: 'reward', output: 'rewadr', correct: false },
    ],
    attention: { source: SOURCE, output: OUTPUT, weights, probs: OUTPUT.map(() => 0.97) },
    sourceGradNorms: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
    compare: [{ runId: 's2s-0', label: 'lstm 1×128, attention none', evals: [{ step: 900, seconds: 60, loss: 0.1, tokenAccuracy: 0.98, exactMatch: 0.928 }] }],
    focus: null,
  };
}

/** Everything the panel can draw at once; `status` of the shown run (a diverged one shows its message in the error colour). */
export async function loadEverything(page, { status = 'running', statusMessage = null } = {}) {
  await send(page,
    snapshot({ train: TRAIN, val: VAL, status, statusMessage, gradFlow: gradFlowFixture(), gradHistory: gradHistoryFixture() }),
    { type: 'trace', runId: 'run-1', trace: gateTrace() },
    { type: 'runs', runs: RUNS, selected: ['run-b'] },
    { type: 'seq2seq', view: seq2seqView() });
  await page.locator('#loss-chart[data-train-points="300"]').waitFor({ timeout: 5_000 });
  await page.locator(`#gates-heatmap[data-units="${UNITS}"]`).waitFor({ timeout: 5_000 });
  await page.locator('#s2s-attention[data-rows="9"]').waitFor({ timeout: 5_000 });
  await nextFrames(page);
}

/**
 * Runs axe-core on the whole page. Its script is evaluated through the browser's debugging
 * protocol: the panel's CSP (a nonce on every script) refuses an added <script> tag, as it should.
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  });
}

/** Presses Tab (only Tab) until the element matching `selector` has focus; fails after `max` presses. */
export async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return i + 1;
  }
  throw new Error(`${max} presses of Tab never reached ${selector}`);
}

/** What the panel's live region says now. */
export const liveText = (page) => page.locator('#live-region').textContent();
