// Lint rules of LSTM Lab, part of `npm test`: promise handling and type-only imports checked with
// types, and the boundaries between the three rooms (ARCHITECTURE.md):
//   extension host  src/ (everything not listed below)      may use `vscode`; no tfjs, no engine values
//   engine          src/engine, src/worker, src/cli         may use tfjs; never `vscode`, never the host
//   shared          src/protocol, src/shared                plain data and pure functions: neither
//   webview         webview/                                the browser; from src/ only src/protocol
// test/unit/boundaries.test.ts checks that these rules fail on violations, and that the bundles
// built for the host and the webview carry no tfjs.
import tseslint from 'typescript-eslint';

const vscode = { name: 'vscode', message: 'Only the extension host (src/, outside engine, worker, cli, protocol and shared) may use the VS Code API.' };
const tfjs = { group: ['@tensorflow/*'], message: 'tfjs belongs to the engine (src/engine, src/worker, src/cli).' };
const hostModules = (depth) => {
  const up = '../'.repeat(depth);
  return ['extension', 'commands', 'config', 'log', 'statusBar', 'walkthrough', 'editor/*', 'hover/*', 'panel/*', 'runs/*', 'training/*']
    .map((m) => `${up}${m}`);
};

/** Rules for one room: `restricted` paths and packages, and type-only exceptions. */
const room = (files, { paths = [], patterns = [] }, typeOnlyPatterns = []) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', {
      paths,
      patterns: [
        ...patterns,
        ...typeOnlyPatterns.map((p) => ({ ...p, allowTypeImports: true })),
      ],
    }],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', 'wasm/**', 'test-results/**', '.scratch/**', '**/*.mjs', '**/*.js'] },
  {
    files: ['src/**/*.ts', 'webview/**/*.ts', 'test/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // node:test runs the promises its `test` returns; they need no handling.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  // The engine and everything that runs it outside VS Code: no `vscode`, no host module.
  room(['src/engine/**/*.ts', 'src/worker/**/*.ts', 'src/cli/**/*.ts'], {
    paths: [vscode],
    patterns: [
      { group: [...hostModules(1), ...hostModules(2)], message: 'The engine never imports the extension host.' },
    ],
  }),
  // Shared data and helpers: no `vscode`, no tfjs, no room's internals.
  room(['src/protocol/**/*.ts', 'src/shared/**/*.ts'], {
    paths: [vscode],
    patterns: [
      tfjs,
      { group: ['../engine/*', '../engine/**', '../worker/*', '../cli/*', ...hostModules(1)], message: 'Shared modules import only other shared modules.' },
    ],
  }),
  // The extension host: no tfjs; the engine's types may be named, its values never imported
  // (they would pull tfjs into dist/extension.js). The worker's host-side handle is the door.
  room(['src/*.ts', 'src/editor/**/*.ts', 'src/hover/**/*.ts', 'src/panel/**/*.ts', 'src/runs/**/*.ts', 'src/training/**/*.ts'], {
    patterns: [
      tfjs,
      { group: ['../worker/engineService', '../worker/main', './worker/engineService', './worker/main'], message: 'The host talks to the engine through src/worker/engineWorker.ts.' },
    ],
  }, [
    { group: ['./engine/*', './engine/**', '../engine/*', '../engine/**'], message: 'The host may use the engine\'s types only (`import type`).' },
  ]),
  // The webview: the browser side; from src/ only the protocol and the configuration module.
  room(['webview/**/*.ts'], {
    paths: [vscode],
    patterns: [
      tfjs,
      { regex: '^\\.\\./src/(?!protocol/)', message: 'The webview imports from src/ only src/protocol (the door and the run configuration).' },
    ],
  }),
);
