/**
 * The rooms stay apart (ARCHITECTURE.md): the lint rules that guard the imports between them fail
 * on each kind of violation, the bundles of the extension host and the webview carry no tfjs,
 * and every source file is short enough to read at once and says what it owns.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const repo = path.join(__dirname, '..', '..', '..');

/** The messages of the import-boundary rule for `code` linted as if it were `file`. */
async function boundaryProblems(eslint: ESLint, file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repo, file) });
  assert.equal(result.fatalErrorCount, 0, result.messages.map((m) => m.message).join('; '));
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => `${m.line}: ${m.message}`);
}

test('the lint rules refuse imports across the rooms\' walls and allow the doors', async () => {
  // Existing files stand in so that the typed rules find them in a project; only their text is replaced.
  const eslint = new ESLint({ cwd: repo });
  const cases: { file: string; code: string; refused: number[] }[] = [
    {
      file: 'src/engine/trainer.ts',
      code: [
        "import * as vscode from 'vscode';",
        "import { readConfig } from '../config';",
        "import { sampleIds } from './infer';",
        "import { DEFAULT_TRAIN_CONFIG } from '../protocol/runConfig';",
        'export const used = [vscode, readConfig, sampleIds, DEFAULT_TRAIN_CONFIG];',
      ].join('\n'),
      refused: [1, 2],
    },
    {
      file: 'src/training/compareCells.ts',
      code: [
        "import { Trainer } from '../engine/trainer';",
        "import type { SequenceModel } from '../engine/model';",
        "import * as tf from '@tensorflow/tfjs-core';",
        "import { EngineService } from '../worker/engineService';",
        "import type { EngineWorker } from '../worker/engineWorker';",
        "import { writeFileAtomic } from '../shared/atomicFile';",
        'export const used = [Trainer, tf, EngineService, writeFileAtomic];',
        'export type Used = [SequenceModel, EngineWorker];',
      ].join('\n'),
      refused: [1, 3, 4],
    },
    {
      file: 'webview/format.ts',
      code: [
        "import * as vscode from 'vscode';",
        "import { CELL_TYPES } from '../src/protocol/runConfig';",
        "import { checkTrainingText } from '../src/shared/textCheck';",
        "import { Codec } from '../src/engine/codec';",
        "import * as tf from '@tensorflow/tfjs-core';",
        'export const used = [vscode, CELL_TYPES, checkTrainingText, Codec, tf];',
      ].join('\n'),
      refused: [1, 3, 4, 5],
    },
    {
      file: 'src/protocol/runConfig.ts',
      code: [
        "import * as tf from '@tensorflow/tfjs-core';",
        "import type { Cell } from '../engine/cells/cell';",
        "import type { Reply } from './messages';",
        'export const used = tf;',
        'export type Used = [Cell, Reply];',
      ].join('\n'),
      refused: [1, 2],
    },
  ];
  for (const c of cases) {
    const problems = await boundaryProblems(eslint, c.file, c.code);
    assert.deepEqual(problems.map((p) => Number(p.split(':')[0])), c.refused, `${c.file}:\n${problems.join('\n')}`);
  }
});

test('the extension host\'s and the webview\'s bundles carry no tfjs; the engine\'s do', () => {
  const inputs = JSON.parse(fs.readFileSync(path.join(repo, 'dist', 'bundle-inputs.json'), 'utf8')) as Record<string, string[]>;
  const tfjsIn = (bundle: string) => {
    assert.ok(inputs[bundle], `${bundle} was built`);
    return inputs[bundle].filter((i) => i.includes('@tensorflow/'));
  };
  assert.deepEqual(tfjsIn('dist/extension.js'), []);
  assert.deepEqual(tfjsIn('dist/webview.js'), []);
  // The check itself can see tfjs where it belongs.
  assert.ok(tfjsIn('dist/worker.js').length > 0);
  // And the host's bundle holds no engine module at all.
  assert.deepEqual(inputs['dist/extension.js'].filter((i) => i.startsWith('src/engine/')), []);
});

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(repo, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

test('every source file is at most 350 lines and opens with a comment saying what it owns', () => {
  const files = [...sourceFiles('src'), ...sourceFiles('webview')];
  assert.ok(files.length > 50, `${files.length} files`);
  const long: string[] = [];
  const silent: string[] = [];
  for (const f of files) {
    const text = fs.readFileSync(path.join(repo, f), 'utf8');
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > 350) long.push(`${f} (${lines})`);
    if (!/^(\/\*\*|\/\/)/.test(text)) silent.push(f);
  }
  assert.deepEqual(long, [], 'split these by responsibility');
  assert.deepEqual(silent, [], 'say in an opening comment what the file owns');
});
