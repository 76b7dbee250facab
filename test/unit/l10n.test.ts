/**
 * Two languages, English and Simplified Chinese: package.json's texts are `%key%` placeholders
 * with a text in package.nls.json and package.nls.zh-cn.json; the host's texts go through
 * `vscode.l10n.t` and the panel's (webview/) through @vscode/l10n's `l10n.t`; l10n/bundle.l10n.json
 * is what `npm run l10n` extracts from both and l10n/bundle.l10n.zh-cn.json translates every one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { CELL_LABELS, CELL_TYPES } from '../../src/protocol/runConfig';
import { SAMPLE_TASKS } from '../../src/shared/seq2seqSamples';
import { placeholderKey, readNls, repo } from './helpers/nls';

const LOCALE = 'zh-cn';
const readJson = (p: string) => JSON.parse(fs.readFileSync(path.join(repo, p), 'utf8')) as Record<string, string>;
const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as Record<string, unknown>;
/** Translations may keep the English where it is a name (the product's, a cell's) or a formula. */
const SAME_IN_BOTH = new Set(['extension.displayName', 'command.category', 'LSTM {0}', 'LSTM Lab: {0}', 'LSTM Lab: {0}.']);
const CJK = /[\u4e00-\u9fff]/;

/** Every string of `value` with the JSON path that leads to it. */
function strings(value: unknown, at = ''): [string, string][] {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
  return [];
}

/** The {N} placeholders of a text, sorted. */
const placeholders = (text: string) => [...text.matchAll(/\{\d+\}/g)].map((m) => m[0]).sort();

test('package.json: every %key% has its text in package.nls.json and package.nls.zh-cn.json, which have the same keys', () => {
  const en = readNls();
  const zh = readNls(LOCALE);
  const keys = strings(manifest).map(([, s]) => placeholderKey(s)).filter((k): k is string => k !== undefined);
  assert.ok(keys.length > 50, `${keys.length} placeholders in package.json`);
  assert.deepEqual(keys.filter((k) => !(k in en)), [], 'keys missing from package.nls.json');
  assert.deepEqual(keys.filter((k) => !(k in zh)), [], `keys missing from package.nls.${LOCALE}.json`);
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort(), 'the two nls files have the same keys');
  assert.deepEqual(Object.keys(en).filter((k) => !keys.includes(k)), [], 'package.nls.json keys that package.json does not use');
  for (const [key, text] of Object.entries(zh)) {
    assert.ok(text.trim().length > 0, `${key} is translated`);
    if (!SAME_IN_BOTH.has(key)) assert.match(text, CJK, `${key} is in Chinese: ${text}`);
  }
});

test('package.json: every text a user sees is a placeholder', () => {
  const visible = /^(displayName|description|capabilities\.untrustedWorkspaces\.description|contributes\.commands\[\d+\]\.(title|category)|contributes\.walkthroughs\[\d+\]\.(title|description|steps\[\d+\]\.(title|description|media\.altText))|contributes\.configuration\[\d+\]\.(title|properties\.[\w.]+\.(markdownDescription|description|enumDescriptions\[\d+\]))|contributes\.colors\[\d+\]\.description)$/;
  const shown = strings(manifest).filter(([at]) => visible.test(at));
  assert.ok(shown.length > 80, `${shown.length} visible texts`);
  assert.deepEqual(shown.filter(([, s]) => placeholderKey(s) === undefined), [], 'visible texts written into package.json itself');
});

test('l10n/bundle.l10n.json is what `npm run l10n` extracts from the host\'s and the panel\'s sources', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lab-l10n-'));
  try {
    const cli = path.join(repo, 'node_modules/@vscode/l10n-dev/dist/cli.js');
    const r = spawnSync(process.execPath, [cli, 'export', '--outDir', out, './src', './webview'], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `l10n-dev export failed:\n${r.stdout}\n${r.stderr}`);
    const fresh = JSON.parse(fs.readFileSync(path.join(out, 'bundle.l10n.json'), 'utf8')) as Record<string, string>;
    assert.deepEqual(Object.keys(readJson('l10n/bundle.l10n.json')), Object.keys(fresh), 'l10n/bundle.l10n.json is out of date: run npm run l10n');
    assert.deepEqual(readJson('l10n/bundle.l10n.json'), fresh);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test(`l10n/bundle.l10n.${LOCALE}.json translates every string, keeping its {N} placeholders`, () => {
  const en = readJson('l10n/bundle.l10n.json');
  const zh = readJson(`l10n/bundle.l10n.${LOCALE}.json`);
  assert.ok(Object.keys(en).length > 100, `${Object.keys(en).length} strings`);
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort(), 'the same keys');
  for (const [key, text] of Object.entries(zh)) {
    assert.equal(typeof text, 'string', key);
    assert.ok(text.trim().length > 0, `${key} is translated`);
    assert.deepEqual(placeholders(text), placeholders(key), `${key}: the same placeholders`);
    if (!SAME_IN_BOTH.has(key)) assert.match(text, CJK, `${key} is in Chinese: ${text}`);
  }
});

test('the host\'s copies of the cell and task names say what the tables say', () => {
  // compareCells.ts and seq2seqController.ts name them through vscode.l10n.t, one literal each.
  const en = readJson('l10n/bundle.l10n.json');
  for (const c of CELL_TYPES) for (const text of [CELL_LABELS[c].label, CELL_LABELS[c].detail]) assert.ok(text in en, `${c}: ${text}`);
  for (const [task, t] of Object.entries(SAMPLE_TASKS)) for (const text of [t.label, t.detail]) assert.ok(text in en, `${task}: ${text}`);
});

// --- the host's texts go through vscode.l10n.t -----------------------------------------------

const HOST_DIRS = ['src', 'src/editor', 'src/hover', 'src/panel', 'src/runs', 'src/training', 'src/seq2seq'];
/** Option and item properties a user reads. */
const DISPLAY_KEYS = new Set(['title', 'placeHolder', 'prompt', 'label', 'description', 'detail', 'message', 'value']);
const SHOWN = /\b(showInformationMessage|showWarningMessage|showErrorMessage|showQuickPick|showInputBox|withProgress)\s*\(/g;

/**
 * The string and template literals inside each call of SHOWN that hold a word (two letters or
 * more, codicons aside) and are not the first argument of an `l10n.t(` call: texts a user would
 * read in English whatever the display language.
 */
function unlocalized(source: string): string[] {
  const found: string[] = [];
  for (const call of source.matchAll(SHOWN)) {
    const from = call.index + call[0].length;
    let i = from;
    for (let depth = 1; i < source.length && depth > 0; i++) {
      const ch = source[i];
      if (ch === "'" || ch === '"' || ch === '`') i = literalEnd(source, i) - 1;
      else if (ch === '(') depth++;
      else if (ch === ')') depth--;
    }
    found.push(...literalsIn(source.slice(from, i - 1)).map((l) => `${call[1]}: ${l}`));
  }
  return found;
}

/** The literals of `code` (and of its templates' `${…}` parts) that hold a word and are not l10n.t's message. */
function literalsIn(code: string, displayKeys = DISPLAY_KEYS): string[] {
  const found: string[] = [];
  for (let i = 0; i < code.length; i++) {
    const ch = code[i];
    if (ch !== "'" && ch !== '"' && ch !== '`') continue;
    const end = literalEnd(code, i);
    const literal = code.slice(i, end);
    const before = code.slice(0, i).trimEnd();
    const wrapped = before.endsWith('l10n.t(');
    // Object keys, values of keys no one reads (`ifRunning: 'stop'`) and comparisons are code, not text.
    const isKey = /^\s*:/.test(code.slice(end)) && (before === '' || /[{,]$/.test(before));
    const codeValue = /[!=]=$/.test(before) || (/[\w$]\($/.test(before) && !wrapped) || !displayKeys.has(/(?:^|[{,])\s*([A-Za-z_$][\w$]*)\s*:$/.exec(before)?.[1] ?? 'title');
    if (!wrapped && !isKey && !codeValue && /[A-Za-z]{2,}/.test(staticText(literal).replace(/\$\([\w~-]+\)/g, ''))) found.push(literal);
    if (ch === '`') for (const part of expressions(literal)) found.push(...literalsIn(part, displayKeys));
    i = end - 1;
  }
  return found;
}

/** The index just past the literal that starts at `start`. */
function literalEnd(s: string, start: number): number {
  const quote = s[start];
  let i = start + 1;
  while (i < s.length && s[i] !== quote) {
    if (s[i] === '\\') i++;
    else if (quote === '`' && s[i] === '$' && s[i + 1] === '{') {
      let depth = 1;
      i += 2;
      while (i < s.length && depth > 0) {
        if (s[i] === '{') depth++;
        else if (s[i] === '}') depth--;
        else if (s[i] === "'" || s[i] === '"' || s[i] === '`') { i = literalEnd(s, i); continue; }
        if (depth > 0) i++;
      }
    }
    i++;
  }
  return i + 1;
}

/** A template literal's text outside its `${…}` parts, and those parts; other literals are all text. */
function templateParts(literal: string): { text: string; expressions: string[] } {
  if (!literal.startsWith('`')) return { text: literal.slice(1, -1), expressions: [] };
  let text = '';
  const expressions: string[] = [];
  for (let i = 1; i < literal.length - 1; i++) {
    if (literal[i] === '$' && literal[i + 1] === '{') {
      let depth = 1;
      let j = i + 2;
      for (; j < literal.length && depth > 0; j++) {
        if (literal[j] === "'" || literal[j] === '"' || literal[j] === '`') j = literalEnd(literal, j) - 1;
        else if (literal[j] === '{') depth++;
        else if (literal[j] === '}') depth--;
      }
      expressions.push(literal.slice(i + 2, j - 1));
      i = j - 1;
    } else text += literal[i];
  }
  return { text, expressions };
}

const staticText = (literal: string) => templateParts(literal).text;
const expressions = (literal: string) => templateParts(literal).expressions;

test('the check finds texts written in English into notifications, picks and input boxes', () => {
  assert.deepEqual(unlocalized("void vscode.window.showWarningMessage('LSTM Lab: open a file first.');"), ["showWarningMessage: 'LSTM Lab: open a file first.'"]);
  assert.equal(unlocalized('vscode.window.showErrorMessage(`LSTM Lab cannot train on ${name}.`, \'Show Log\')').length, 2);
  assert.equal(unlocalized("vscode.window.showInputBox({ title: 'Rename Run', value: name })").length, 1);
  assert.equal(unlocalized("vscode.window.showQuickPick(items.map((s) => ({ label: `${s.cell} on ${s.file}` })), { placeHolder: vscode.l10n.t('Pick one') })").length, 1);
  assert.deepEqual(unlocalized([
    "vscode.window.showWarningMessage(vscode.l10n.t('LSTM Lab: {0} (it is {1}).', a, n.toLocaleString('en')), { modal: true }, remove);",
    "vscode.window.showQuickPick(xs.map((u) => ({ label: describeUnit(u), description: `r = ${u.r.toFixed(2)}` })), { title: vscode.l10n.t('Units') });",
    "vscode.window.showInformationMessage(`${vscode.l10n.t('Saved {0}', f)}`);",
  ].join('\n')), []);
});

test('the extension host shows no text that does not go through vscode.l10n.t', () => {
  let calls = 0;
  const found: string[] = [];
  for (const dir of HOST_DIRS) {
    for (const f of fs.readdirSync(path.join(repo, dir)).filter((n) => n.endsWith('.ts'))) {
      const source = fs.readFileSync(path.join(repo, dir, f), 'utf8');
      calls += [...source.matchAll(SHOWN)].length;
      found.push(...unlocalized(source).map((u) => `${dir}/${f}: ${u}`));
    }
  }
  assert.ok(calls > 40, `${calls} calls checked`);
  assert.deepEqual(found, []);
});

// --- the panel's texts go through l10n.t -----------------------------------------------------

/** Where the panel puts text on screen or in the accessibility tree: the expression after each is shown. */
const WEBVIEW_SINKS = /(?:\.textContent\s*=|\.title\s*=|\bsetText\([^,()]+,|\.setAttribute\(\s*'(?:aria-label|aria-roledescription|title|label|placeholder)'\s*,|\b(?:announce|fillText|keyHint|showTooltip|placeTooltip|showTip|attentionTip|axis|series|lossSeries)\(|\boption\([^,]+,|\bnew DataTableToggle\([^,]+,|\b(?:caption|head|note|hint|empty|roleDescription|label)\s*:)/g;
const WEBVIEW_DISPLAY_KEYS = new Set(['caption', 'head', 'note', 'hint', 'empty', 'roleDescription', 'label', 'title']);
/** Names that read the same in every language. */
const NAMES = new Set(["'LSTM Lab'", "'CSV'", "'JSON'", "'PNG'"]);

/** `source` with its comments blanked (literals kept), so that prose in comments is not text. */
function withoutComments(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = literalEnd(source, i);
      out += source.slice(i, end);
      i = end - 1;
    } else if (ch === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      out += '\n';
    } else if (ch === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 1;
    } else out += ch;
  }
  return out;
}

/** The expression that starts at `from`: up to a `,` or `;` at its own depth, or the bracket that closes around it. */
function expressionAt(code: string, from: number): string {
  let depth = 0;
  let i = from;
  for (; i < code.length; i++) {
    const ch = code[i];
    if (ch === "'" || ch === '"' || ch === '`') i = literalEnd(code, i) - 1;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch) && --depth < 0) break;
    else if ((ch === ',' || ch === ';') && depth === 0) break;
  }
  return code.slice(from, i);
}

/**
 * The panel's unwrapped texts in `source`: a literal holding a word in what a sink shows, and
 * anywhere a literal of two words or more (prose), except l10n.t's messages, import paths,
 * errors for developers and class lists; and `l10n.t` called at module load, before main.ts has
 * configured the bundle.
 */
function unlocalizedInPanel(source: string): string[] {
  const code = withoutComments(source);
  const found = new Set<string>();
  for (const sink of code.matchAll(WEBVIEW_SINKS)) {
    for (const l of literalsIn(expressionAt(code, sink.index + sink[0].length), WEBVIEW_DISPLAY_KEYS)) if (!NAMES.has(l)) found.add(l);
  }
  for (let i = 0; i < code.length; i++) {
    if (code[i] !== "'" && code[i] !== '"' && code[i] !== '`') continue;
    const end = literalEnd(code, i);
    const literal = code.slice(i, end);
    const before = code.slice(Math.max(0, i - 40), i).trimEnd();
    const text = literal.startsWith('`') ? staticText(literal) : literal.slice(1, -1);
    const isCode = /(?:\bl10n\.t\(|\bfrom|\bimport|new Error\(|className\s*=|class:|classList\.\w+\(|\.(?:includes|startsWith|endsWith|indexOf|split|join|replace|querySelector|querySelectorAll|closest|matches)\()$/.test(before)
      || /^[a-z][\w-]*-[\w-]*( [a-z][\w-]*-[\w-]*)+$/.test(text);
    if (!isCode && !NAMES.has(literal) && /[A-Za-z]{2,}[\w'’-]*[,.;:!?()…“”"'\s-]*\s[,.;:!?()…“”"'\s-]*[A-Za-z]{2,}/.test(text)) found.add(literal);
    i = end - 1;
  }
  for (const m of code.matchAll(/^(?:export )?(?:const|let) [^=]+=(?!\s*(?:\(|async\b|function\b|\w+\s*=>))[^;]*\bl10n\.t\(/gm)) found.add(`at load: ${m[0].slice(0, 60)}`);
  return [...found];
}

test('the check finds texts the panel shows without l10n.t', () => {
  assert.deepEqual(unlocalizedInPanel("el.textContent = ready ? 'Done' : l10n.t('Waiting');"), ["'Done'"]);
  assert.deepEqual(unlocalizedInPanel("button.setAttribute('aria-label', `Show ${name} on the text`);"), ['`Show ${name} on the text`']);
  assert.deepEqual(unlocalizedInPanel("return `unit ${u}: shut ${a}`;"), ['`unit ${u}: shut ${a}`']);
  assert.deepEqual(unlocalizedInPanel("  return { caption: 'Loss', head: ['step', l10n.t('train')] };"), ["'Loss'", "'step'"]);
  assert.deepEqual(unlocalizedInPanel("const HINT = l10n.t('Keys: ← →');"), ["at load: const HINT = l10n.t("]);
  assert.deepEqual(unlocalizedInPanel([
    "import * as l10n from '@vscode/l10n';",
    '// A comment in prose is not shown.',
    "box.className = 'cell-cursor point-cursor';",
    "el.textContent = x.summary.includes('attention none') ? l10n.t('No attention.') : l10n.t('{0} s', n.toLocaleString('en'));",
    "setText(this.step, l10n.t('step {0}', formatInteger(step)));",
    "const hint = () => l10n.t('Keys: ← →');",
    'throw new Error(`panel HTML has no #${id}`);',
  ].join('\n')), []);
});

test('the panel (webview/) shows no text that does not go through l10n.t, and every module that calls it imports @vscode/l10n', () => {
  const found: string[] = [];
  let calls = 0;
  for (const f of fs.readdirSync(path.join(repo, 'webview')).filter((n) => n.endsWith('.ts'))) {
    const source = fs.readFileSync(path.join(repo, 'webview', f), 'utf8');
    const n = [...source.matchAll(/\bl10n\.t\(/g)].length;
    calls += n;
    // npm run l10n reads a call only where l10n is @vscode/l10n's namespace.
    if (n > 0 && !source.includes("import * as l10n from '@vscode/l10n';")) found.push(`webview/${f}: l10n.t without import * as l10n from '@vscode/l10n'`);
    found.push(...unlocalizedInPanel(source).map((u) => `webview/${f}: ${u}`));
  }
  assert.ok(calls > 150, `${calls} calls`);
  assert.deepEqual(found, []);
});
