// Mocha entry point loaded by the VS Code extension host (code-server via
// test/vscode/run-code-server.mjs, or desktop VS Code via test/vscode/run-electron.mjs).
// esbuild bundles this file and the suites into dist/test/integration/index.js, with `mocha` and
// `vscode` left external, so the suites are plain modules inside the bundle rather than files for
// mocha to load.
import Mocha from 'mocha';

// Printed around the run: the runners forward what lies between them and parse the counts.
const START_TAG = 'integration-start';
const RESULT_TAG = 'integration-result';

/**
 * The suites, required only after mocha's tdd globals (`suite`, `test`, `setup`, ...) exist,
 * because their top-level code calls them. Static require() calls keep them in the bundle.
 * Add new suites (test/integration/*.test.ts) here.
 */
function loadSuites(): void {
  require('./extension.test');
  require('./train.test');
  require('./badInput.test');
  require('./runs.test');
  require('./generate.test');
  require('./editor.test');
  require('./badInputBattery.test');
  require('./faults.test');
  require('./seq2seq.test');
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 120_000 });
  // LSTM_LAB_TEST_GREP=<regexp> runs only the tests whose full title matches (for iterating on a few).
  const grep = process.env.LSTM_LAB_TEST_GREP;
  if (grep) mocha.grep(new RegExp(grep));
  // What mocha does per file before loading it: define the interface's globals.
  mocha.suite.emit('pre-require', globalThis, 'bundle', mocha);
  console.log(START_TAG);
  try {
    loadSuites();
  } catch (err) {
    // A suite that cannot even load is a failure, not an empty run.
    console.error(err);
    console.log(`${RESULT_TAG} ${JSON.stringify({ passes: 0, failures: 1, pending: 0, loadError: true })}`);
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }

  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const { passes = 0, pending = 0, tests = 0 } = runner.stats ?? {};
      console.log(`${RESULT_TAG} ${JSON.stringify({ passes, failures, pending, tests })}`);
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else if (passes === 0) reject(new Error('no integration tests ran'));
      else resolve();
    });
  });
}
