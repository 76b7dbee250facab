#!/usr/bin/env node
// Builds lstm-lab.vsix: a production build (minified, no source maps) in a temporary copy of the
// sources, packaged there by vsce. The working tree's dist/ is never touched, so packaging can run
// while tests or a watch build use it. Needs no network.
//
//   node scripts/package.mjs [--out FILE]      (npm run package)
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** What the build reads and what vsce packs (the rest of the tree is not needed). */
const INPUTS = [
  'package.json', 'package.nls.json', 'package.nls.zh-cn.json', 'l10n', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'esbuild.mjs', 'scripts/tfjsModules.mjs', 'tsconfig.json',
  'src', 'webview', 'wasm', 'media', 'samples', 'test/unit', 'test/integration',
];

const { values: opts } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(opts.out ?? join(REPO, 'lstm-lab.vsix'));

function run(what, command, args, cwd) {
  const r = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal})`);
}

const work = mkdtempSync(join(tmpdir(), 'lstm-lab-package-'));
try {
  for (const p of INPUTS) {
    if (existsSync(join(REPO, p))) cpSync(join(REPO, p), join(work, p), { recursive: true });
  }
  symlinkSync(join(REPO, 'node_modules'), join(work, 'node_modules'), 'dir');
  run('production build', process.execPath, ['esbuild.mjs', '--production'], work);
  const vsce = join(dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
  // Relative links in the README stay relative: the installed extension resolves them itself.
  run('vsce package', process.execPath, [vsce, 'package', '--no-dependencies', '--no-rewrite-relative-links', '--out', join(work, 'lstm-lab.vsix')], work);
  copyFileSync(join(work, 'lstm-lab.vsix'), out);
  console.log(`${out}: ${(statSync(out).size / 1024 / 1024).toFixed(2)} MB`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
