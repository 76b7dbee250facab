/** The Python the export tests run the scripts/ loaders with. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/** The first of python3, /usr/bin/python3 that can import every module named. */
export function findPython(...modules: string[]): string | null {
  for (const exe of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(exe, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
    if (r.status === 0) return exe;
  }
  return null;
}

/** A python3 with numpy; fails the test, saying what to install, when there is none. */
export function numpyPython(): string {
  const exe = findPython('numpy');
  assert.ok(exe, 'no python3 with numpy found (tried python3, /usr/bin/python3): install python3-numpy (scripts/setup.sh does)');
  return exe;
}
