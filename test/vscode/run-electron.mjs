#!/usr/bin/env node
// Runs the same mocha integration suite in desktop VS Code through @vscode/test-electron, for
// machines that can download VS Code (test-electron fetches it on first use and caches it in
// .vscode-test/). Offline, use test/vscode/run-code-server.mjs instead. On a Linux machine
// without a display, run it under xvfb-run.
//
//   node test/vscode/run-electron.mjs          (VSCODE_VERSION=stable to try the newest)
import { runTests } from '@vscode/test-electron';
import { format } from 'node:util';
import {
  REPO, copyIntoWorkspace, deadline, isolatedEnv, makeScratch, requireBuilt, seconds, writeUserSettings,
} from './codeServer.mjs';

// The version code-server 4.100.3 serves, so both runners exercise the same VS Code.
const VERSION = process.env.VSCODE_VERSION || '1.100.3';
const TIME_LIMIT_MS = 15 * 60_000; // includes the download on a cold cache
const RESULT_LINE = /^integration-result (\{.*\})\s*$/m;

/**
 * test-electron copies VS Code's stdout straight to ours; watch it on the way for the result
 * line the suite prints, since the exit code alone does not carry the counts.
 */
function watchStdout() {
  let buffered = '';
  let result = null;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => {
    buffered = (buffered + chunk.toString()).slice(-10_000);
    const m = RESULT_LINE.exec(buffered);
    if (m) result = JSON.parse(m[1]);
    return write(chunk, ...rest);
  };
  return { result: () => result, restore: () => { process.stdout.write = write; } };
}

async function main() {
  const started = Date.now();
  const cancelDeadline = deadline(TIME_LIMIT_MS, 'integration (electron)');
  requireBuilt('dist/extension.js', 'dist/test/integration/index.js');
  const scratch = makeScratch('electron');
  const workspace = copyIntoWorkspace(scratch, 'test/fixtures');
  writeUserSettings(scratch);

  const stdout = watchStdout();
  let exitCode = 1;
  let crashed = null;
  try {
    exitCode = await runTests({
      version: VERSION,
      extensionDevelopmentPath: REPO,
      extensionTestsPath: `${REPO}/dist/test/integration/index.js`,
      extensionTestsEnv: isolatedEnv(scratch),
      launchArgs: [
        workspace,
        '--disable-extensions', // only the extension under test
        '--disable-workspace-trust',
        `--user-data-dir=${scratch['user-data']}`,
        `--extensions-dir=${scratch.extensions}`,
      ],
    });
  } catch (err) {
    // runTests rejects with TestRunFailedError when mocha reports failures, too.
    crashed = err;
  } finally {
    stdout.restore();
    cancelDeadline();
  }

  const result = stdout.result();
  if (crashed && !result) console.error(`integration (electron): ${crashed.stack ?? crashed}`);
  const passes = result?.passes ?? 0;
  const ok = !crashed && exitCode === 0 && result !== null && result.failures === 0 && passes > 0;
  const failed = ok ? 0 : Math.max(result?.failures ?? 0, 1);
  scratch.dispose(ok);
  console.log(format('integration (electron, VS Code %s) took %s', VERSION, seconds(Date.now() - started)));
  console.log(`integration: ${passes} passed, ${failed} failed`);
  process.exit(ok ? 0 : 1);
}

main();
