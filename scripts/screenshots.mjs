#!/usr/bin/env node
// Copies the screenshots the README and the walkthrough show from test-results/, where the tests
// write them, into media/screenshots/. Run the tests that make them first:
//
//   node test/ui/run-ui.mjs                                  # ui-*.png: the workbench, real training
//   node --test test/webview/featureScreenshots.test.mjs     # overlays-*.png: the charts with other runs
//   node scripts/screenshots.mjs [--check]
//
// --check copies nothing and fails when a shipped screenshot is missing or the set is over budget.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(REPO, 'test-results');
const TARGET = join(REPO, 'media/screenshots');
/** Everything here ships in the VSIX and is shown on the README: keep it small. */
export const BUDGET_BYTES = 1.5 * 1024 * 1024;

/** media/screenshots/<name> ← test-results/<source>, and which test writes the source. */
export const SCREENSHOTS = [
  { name: 'workbench-training.png', source: 'ui-training.png', test: 'test/ui/run-ui.mjs' },
  { name: 'workbench-gates.png', source: 'ui-gates.png', test: 'test/ui/run-ui.mjs' },
  { name: 'editor-hover.png', source: 'ui-hover.png', test: 'test/ui/run-ui.mjs' },
  { name: 'editor-surprisal.png', source: 'ui-surprisal.png', test: 'test/ui/run-ui.mjs' },
  { name: 'compare-light.png', source: 'overlays-light.png', test: 'test/webview/featureScreenshots.test.mjs' },
  { name: 'compare-dark.png', source: 'overlays-dark.png', test: 'test/webview/featureScreenshots.test.mjs' },
  { name: 'compare-hc.png', source: 'overlays-hc.png', test: 'test/webview/featureScreenshots.test.mjs' },
  { name: 'seq2seq-card.png', source: 'seq2seq-card-dark.png', test: 'test/webview/seq2seq.test.mjs' },
];

function main() {
  const check = process.argv.includes('--check');
  const problems = [];
  let total = 0;
  if (!check) mkdirSync(TARGET, { recursive: true });
  for (const s of SCREENSHOTS) {
    const from = join(RESULTS, s.source);
    const to = join(TARGET, s.name);
    if (!check) {
      if (!existsSync(from)) {
        problems.push(`${s.source} is missing from test-results/: run ${s.test}`);
        continue;
      }
      copyFileSync(from, to);
    }
    if (!existsSync(to)) {
      problems.push(`media/screenshots/${s.name} is missing: run ${s.test}, then node scripts/screenshots.mjs`);
      continue;
    }
    const bytes = statSync(to).size;
    total += bytes;
    console.log(`${check ? 'checked' : 'copied '} media/screenshots/${s.name.padEnd(24)} ${(bytes / 1024).toFixed(0).padStart(5)} KB${check ? '' : `  ← test-results/${s.source}`}`);
  }
  console.log(`total ${(total / 1024).toFixed(0)} KB of ${(BUDGET_BYTES / 1024).toFixed(0)} KB`);
  if (total > BUDGET_BYTES) problems.push(`the screenshots take ${(total / 1024).toFixed(0)} KB, over the ${(BUDGET_BYTES / 1024).toFixed(0)} KB budget`);
  for (const p of problems) console.error(p);
  process.exit(problems.length ? 1 : 0);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
