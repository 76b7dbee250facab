/**
 * The extension as it ships: the manifest activates once the window has started (cheaply) and to
 * restore its panel, its commands are offered only where they can act, the
 * walkthrough points at things that exist, and the VSIX that `npm run package` builds is small
 * and holds what the extension loads at run time — and no sources, tests or source maps.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { before, test } from 'node:test';
import { readManifest, resolveNls } from './helpers/nls';

const repo = path.join(__dirname, '..', '..', '..');
const read = (p: string) => fs.readFileSync(path.join(repo, p), 'utf8');

interface Command { command: string; title: string }
interface WalkthroughStep {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string; image?: string | Record<string, string>; altText?: string };
  completionEvents?: string[];
}
interface Manifest {
  main: string;
  icon: string;
  activationEvents?: string[];
  contributes: {
    commands: Command[];
    walkthroughs?: { id: string; steps: WalkthroughStep[] }[];
    menus: Record<string, { command: string; when?: string }[]>;
  };
}

// Titles and walkthrough texts in English: package.json's placeholders resolved by package.nls.json.
const manifest = readManifest<Manifest>();
const commandIds = manifest.contributes.commands.map((c) => c.command);

/** The string values of an enum in a source file (sources importing `vscode` cannot be loaded here). */
function enumValues(file: string, name: string): string[] {
  const body = read(file).match(new RegExp(`enum ${name} \\{([^}]*)\\}`))?.[1];
  assert.ok(body, `enum ${name} in ${file}`);
  return [...body.matchAll(/=\s*'([^']+)'/g)].map((m) => m[1]);
}

function constant(file: string, name: string): string {
  const value = read(file).match(new RegExp(`export const ${name} = '([^']+)'`))?.[1];
  assert.ok(value, `const ${name} in ${file}`);
  return value;
}

test('activates after startup and to restore its panel, and nothing broader', () => {
  const panelType = constant('src/panel/labPanel.ts', 'PANEL_VIEW_TYPE');
  // onStartupFinished: after a reload, hovers, the status bar and stored runs answer even when the
  // panel was closed. It does not delay the window, and activation is cheap (the engine starts
  // when first needed; the host bundle holds no tfjs, see boundaries.test). VS Code adds onCommand
  // for every contributed command itself; * or onLanguage would be broader for nothing.
  const allowed = new Set(['onStartupFinished', `onWebviewPanel:${panelType}`, ...commandIds.map((id) => `onCommand:${id}`)]);
  const events = manifest.activationEvents ?? [];
  assert.deepEqual(events.filter((e) => !allowed.has(e)), [], 'activation events beyond startup, the commands and the panel');
  assert.ok(events.includes('onStartupFinished'), 'hovers and stored runs come back after a reload with the panel closed');
  assert.ok(events.includes(`onWebviewPanel:${panelType}`), 'the panel serializer can revive the panel after a reload');
});

test('commands that need a model or a run are offered only while there is one, by context keys the extension sets', () => {
  const palette = new Map((manifest.contributes.menus.commandPalette ?? []).map((m) => [m.command, m.when ?? '']));
  const needs: Record<string, string> = {
    'lstmLab.toggleSurprisal': 'lstmLab.hasModel', 'lstmLab.showUnitActivation': 'lstmLab.hasModel', 'lstmLab.findUnits': 'lstmLab.hasModel',
    'lstmLab.generateAtCursor': 'lstmLab.hasModel', 'lstmLab.stop': 'lstmLab.training', 'lstmLab.stopSeq2Seq': 'lstmLab.seq2seqTraining',
  };
  for (const [command, key] of Object.entries(needs)) assert.match(palette.get(command) ?? '', new RegExp(`(^|[ (!&|])${key.replace('.', '\\.')}\\b`), `${command} in the palette only when ${key}`);
  // Every context key a when-clause reads is one the extension sets (a typo would hide a command for good).
  const sources = fs.readdirSync(path.join(repo, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => read(path.join('src', f))).join('\n');
  const whens = Object.values(manifest.contributes.menus).flat().map((m) => m.when ?? '');
  const keys = new Set(whens.flatMap((w) => [...w.matchAll(/lstmLab\.[\w.]+/g)].map((m) => m[0])));
  for (const key of keys) {
    const setHere = sources.includes(`'setContext', '${key}'`) || new RegExp(`const \\w+ = '${key.replace('.', '\\.')}'`).test(sources);
    assert.ok(setHere, `${key} is set with setContext somewhere in src/`);
  }
});

test('the contributed commands are exactly the CommandId enum, each with a title in the LSTM Lab category', () => {
  assert.deepEqual([...commandIds].sort(), enumValues('src/commands.ts', 'CommandId').sort());
  for (const c of manifest.contributes.commands) {
    assert.ok(c.title, `${c.command} has a title`);
    assert.equal((c as Command & { category?: string }).category, 'LSTM Lab', `${c.command} category`);
  }
});

test('the walkthrough trains on the sample, shows the panel, hovers and compares, each step with media and a completion event', () => {
  const walkthroughs = manifest.contributes.walkthroughs ?? [];
  assert.equal(walkthroughs.length, 1);
  const steps = walkthroughs[0].steps;
  assert.deepEqual(steps.map((s) => s.id), ['trainSample', 'showPanel', 'hover', 'compareCells']);
  const hoverContext = constant('src/walkthrough.ts', 'HOVER_SHOWN_CONTEXT');
  for (const step of steps) {
    const media = [step.media.markdown, ...(typeof step.media.image === 'string' ? [step.media.image] : Object.values(step.media.image ?? {}))]
      .filter((m): m is string => !!m);
    assert.ok(media.length > 0, `${step.id} has media`);
    for (const m of media) assert.ok(fs.existsSync(path.join(repo, m)), `${step.id}: ${m} exists`);
    if (step.media.image) assert.ok(step.media.altText, `${step.id}: an image has alt text`);
    const events = step.completionEvents ?? [];
    assert.ok(events.length > 0, `${step.id} has completion events`);
    for (const e of events) {
      const [kind, what] = [e.slice(0, e.indexOf(':')), e.slice(e.indexOf(':') + 1)];
      if (kind === 'onCommand') assert.ok(commandIds.includes(what), `${step.id}: ${e} is a contributed command`);
      else assert.deepEqual([kind, what], ['onContext', hoverContext], `${step.id}: ${e}`);
    }
    // Buttons in the description run contributed commands, with JSON arguments that parse.
    for (const [, id, args] of step.description.matchAll(/\(command:([\w.]+)(?:\?([^)]*))?\)/g)) {
      assert.ok(commandIds.includes(id), `${step.id}: button runs ${id}`);
      if (args) assert.doesNotThrow(() => JSON.parse(decodeURIComponent(args)), `${step.id}: arguments of ${id}`);
    }
  }
  assert.match(steps[0].description, /command:lstmLab\.openSample\?%7B%22train%22%3Atrue%7D/, 'the first step opens the sample and trains');
  assert.ok(fs.existsSync(path.join(repo, 'samples', constant('src/walkthrough.ts', 'SAMPLE_FILE'))), 'the sample the command opens exists');
});

// --- the VSIX ------------------------------------------------------------------------------

interface ZipEntry { name: string; size: number; method: number; compressedSize: number; localOffset: number }

/** The entries of a zip file, from its central directory (a VSIX is a zip). */
function zipEntries(zip: Buffer): ZipEntry[] {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  assert.ok(eocd >= 0, 'end of central directory found');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'central directory header');
    const nameLength = zip.readUInt16LE(at + 28);
    entries.push({
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localOffset: zip.readUInt32LE(at + 42),
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

function zipRead(zip: Buffer, e: ZipEntry): Buffer {
  const start = e.localOffset + 30 + zip.readUInt16LE(e.localOffset + 26) + zip.readUInt16LE(e.localOffset + 28);
  const data = zip.subarray(start, start + e.compressedSize);
  return e.method === 8 ? inflateRawSync(data) : Buffer.from(data);
}

const MAX_VSIX_BYTES = 8 * 1024 * 1024;
let vsix: Buffer;
let files: Map<string, ZipEntry>;

before(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lab-vsix-'));
  const out = path.join(dir, 'lstm-lab.vsix');
  const r = spawnSync(process.execPath, [path.join(repo, 'scripts/package.mjs'), '--out', out], { cwd: repo, encoding: 'utf8', timeout: 5 * 60_000 });
  assert.equal(r.status, 0, `npm run package failed:\n${r.stdout}\n${r.stderr}`);
  vsix = fs.readFileSync(out);
  fs.rmSync(dir, { recursive: true, force: true });
  // The extension's own files sit under extension/ in the package.
  files = new Map(zipEntries(vsix).filter((e) => e.name.startsWith('extension/')).map((e) => [e.name.slice('extension/'.length), e]));
});

test(`the VSIX is at most ${MAX_VSIX_BYTES / 1024 / 1024} MB`, () => {
  console.log(`vsix: ${(vsix.length / 1024 / 1024).toFixed(2)} MB, ${files.size} files`);
  assert.ok(vsix.length <= MAX_VSIX_BYTES, `${vsix.length} bytes`);
});

test('the VSIX holds no sources, tests, source maps or dependencies', () => {
  const unwanted = [...files.keys()].filter((f) =>
    /\.(ts|tsx|mts|cts|map)$/.test(f) || /(^|\/)(src|test|tests|webview|node_modules|\.scratch|test-results|scripts|bench)\//.test(f) || /\.test\.[cm]?js$/.test(f)
    || /^(tsconfig\.json|esbuild\.mjs|\.vscodeignore|package-lock\.json)$/.test(f) || /\.vsix$/.test(f));
  assert.deepEqual(unwanted, []);
  for (const bundle of ['dist/extension.js', 'dist/worker.js', 'dist/trainingWorker.js', 'dist/seq2seqWorker.js', 'dist/shardWorker.js', 'dist/webview.js']) {
    const e = files.get(bundle);
    assert.ok(e, bundle);
    assert.doesNotMatch(zipRead(vsix, e).toString('utf8').slice(-2000), /sourceMappingURL/, `${bundle} points to no source map`);
  }
});

test('the VSIX holds what the extension loads at run time', () => {
  const shipped = JSON.parse(zipRead(vsix, files.get('package.json')!).toString('utf8')) as Manifest;
  // Every placeholder of the shipped manifest has its text in the shipped package.nls files.
  for (const nls of ['package.nls.json', 'package.nls.zh-cn.json']) {
    assert.ok(files.has(nls), `${nls} ships`);
    assert.doesNotThrow(() => resolveNls(shipped, JSON.parse(zipRead(vsix, files.get(nls)!).toString('utf8')) as Record<string, string>), nls);
  }
  const walkthroughMedia = (shipped.contributes.walkthroughs ?? []).flatMap((w) => w.steps.flatMap((s) =>
    [s.media.markdown, ...(typeof s.media.image === 'string' ? [s.media.image] : Object.values(s.media.image ?? {}))]));
  const readmeImages = [...read('README.md').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  const needed = [
    shipped.main.replace(/^\.\//, ''),
    'dist/worker.js', // the engine thread
    'dist/trainingWorker.js', // the training thread it starts
    'dist/seq2seqWorker.js', // the sequence-to-sequence thread
    'dist/shardWorker.js', // data-parallel threads (lstmLab.train.workers > 1)
    'dist/webview.js', 'dist/uPlot.min.css', 'media/panel.css', // the panel
    'dist/wasm/tfjs-backend-wasm.wasm', 'dist/wasm/tfjs-backend-wasm-simd.wasm', // the tfjs backend
    'dist/wasm/lstm-simd.wasm', 'dist/wasm/lstm-relaxed.wasm', // the fused training kernels
    shipped.icon,
    'samples/shakespeare.txt', // LSTM Lab: Open Sample Text
    'package.nls.json', 'package.nls.zh-cn.json', // package.json's texts, English and Chinese
    'l10n/bundle.l10n.json', 'l10n/bundle.l10n.zh-cn.json', // the host's and the panel's texts (the English ones are also in the code)
    ...walkthroughMedia,
    ...readmeImages,
  ].filter((f): f is string => !!f);
  assert.deepEqual(needed.filter((f) => !files.has(f)), [], 'missing from the VSIX');
  assert.ok(files.get('dist/wasm/tfjs-backend-wasm-simd.wasm')!.size > 100_000, 'the wasm binary is the real thing');
});
