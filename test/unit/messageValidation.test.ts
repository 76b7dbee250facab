// What the panel host does with messages from the webview that it must not trust: malformed,
// oversized and unknown ones are refused with a short reason, never thrown, and logged; and the
// webview options the host gives the panel.
import assert from 'node:assert/strict';
import Module from 'node:module';
import { test } from 'node:test';
import { emptySnapshot, formOf, MAX_SELECTED_RUNS, parseWebviewMessage, type WebviewToHost } from '../../src/protocol/webviewProtocol';
import { DEFAULT_TRAIN_CONFIG } from '../../src/protocol/runConfig';

/** Webview messages reach the extension host as JSON; the tests build them the same way. */
const json = (text: string): unknown => JSON.parse(text);

/** Longest reason the host logs for one refused message. */
const MAX_REASON = 300;

function refused(message: unknown, why?: RegExp): string {
  let r: ReturnType<typeof parseWebviewMessage>;
  assert.doesNotThrow(() => { r = parseWebviewMessage(message); });
  const label = describe(message);
  assert.equal(r!.ok, false, `${label} was accepted: ${JSON.stringify(r!.ok && r!.message)}`);
  const reason = (r! as { reason: string }).reason;
  assert.ok(reason.length > 0 && reason.length <= MAX_REASON, `${label}: reason of ${reason.length} characters`);
  if (why) assert.match(reason, why, label);
  return reason;
}

function accepted(message: unknown): WebviewToHost {
  const r = parseWebviewMessage(message);
  assert.ok(r.ok, `${describe(message)} → ${r.ok ? '' : r.reason}`);
  return r.message;
}

function describe(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 80)}…` : s;
  } catch {
    return `(${typeof v})`;
  }
}

/** An array nested `depth` levels deep, built without recursion. */
function deep(depth: number): unknown[] {
  let v: unknown[] = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const TEN_MB = 'x'.repeat(10 * 2 ** 20);

// ---- Malformed ----

test('wrong types and missing fields are refused for every message that has fields, naming the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ type: 'sample' }, /temperature/],
    [{ type: 'sample', temperature: '0.8' }, /temperature/],
    [{ type: 'sample', temperature: null }, /temperature/],
    [{ type: 'sample', temperature: [0.8] }, /temperature/],
    [{ type: 'sample', temperature: { valueOf: 0.8 } }, /temperature/],
    [{ type: 'sample', temperature: true }, /temperature/],
    [{ type: 'sample', temperature: 0.01 }, /temperature/],
    [{ type: 'reveal' }, /offset/],
    [{ type: 'reveal', offset: '12' }, /offset/],
    [{ type: 'reveal', offset: 1e12 }, /offset/],
    [{ type: 'reveal', offset: -0.5 }, /offset/],
    [{ type: 'export', format: null }, /format/],
    [{ type: 'export', format: ['csv'] }, /format/],
    [{ type: 'export', format: 'CSV' }, /format/],
    [{ type: 'train', config: null }, /config must be an object/],
    [{ type: 'train', config: 'cell=gru' }, /config must be an object/],
    [{ type: 'train', config: { cell: 7 } }, /config\.cell has the wrong type/],
    [{ type: 'train', config: { cell: ['gru'] } }, /config\.cell has the wrong type/],
    [{ type: 'train', config: { layers: '2' } }, /config\.layers has the wrong type/],
    [{ type: 'train', config: { seed: null } }, /config\.seed has the wrong type/],
    [{ type: 'train', config: { learningRate: { value: 1 } } }, /config\.learningRate has the wrong type/],
    [{ type: 'resume' }, /runId/],
    [{ type: 'resume', runId: 42 }, /runId/],
    [{ type: 'resume', runId: ['run-a'] }, /runId/],
    [{ type: 'deleteRun', runId: 'RUN-A' }, /runId/],
    [{ type: 'deleteRun', runId: 'run-a/../../x' }, /runId/],
    [{ type: 'editRun', runId: '../run-a' }, /runId/],
    [{ type: 'saveSettings', config: { cell: 7 } }, /config\.cell has the wrong type/],
    [{ type: 'saveSettings', config: { evil: 1 } }, /unknown config fields/],
    [{ type: 'saveSettings' }, /config must be an object/],
    [{ type: 'savePng', chart: 'secrets', dataUrl: 'data:image/png;base64,AAAA' }, /chart must be one of/],
    [{ type: 'savePng', chart: 'loss', dataUrl: 'data:text/html;base64,AAAA' }, /PNG data URL/],
    [{ type: 'savePng', chart: 'loss', dataUrl: 'data:image/png;base64,<script>' }, /not base64/],
    [{ type: 'savePng', chart: 'loss', dataUrl: `data:image/png;base64,${'A'.repeat(20_000_000)}` }, /at most/],
    [{ type: 'editRun', runId: 'run-a', name: 'x' }, /name/],
    [{ type: 'select' }, /runIds/],
    [{ type: 'select', runIds: [42] }, /runIds/],
    [{ type: 'select', runIds: { 0: 'run-a', length: 1 } }, /runIds/],
    [{ type: 'select', runIds: ['run-a', null] }, /runIds/],
  ];
  for (const [message, why] of cases) {
    refused(message, why);
    // The same message as the host receives it, through JSON.
    refused(json(JSON.stringify(message)), why);
  }
});

test('values that are not objects, or objects without a string type, are refused', () => {
  for (const message of [undefined, null, 0, 1, true, '', 'ready', '{"type":"ready"}', [], [{ type: 'ready' }], {}, { type: null },
    { type: 1 }, { type: ['ready'] }, { type: { toString: 'ready' } }, { kind: 'ready' }, new Uint8Array([1, 2]), new Map([['type', 'ready']])]) {
    refused(message, /not an object|missing type/);
  }
});

test('extra fields are refused on every message type, naming them', () => {
  const valid: Record<string, unknown>[] = [
    { type: 'ready' }, { type: 'stop' }, { type: 'train' }, { type: 'saveCheckpoint' }, { type: 'loadCheckpoint' },
    { type: 'sample', temperature: 1 }, { type: 'export', format: 'csv' }, { type: 'reveal', offset: 3 },
    { type: 'train', config: { cell: 'gru' } }, { type: 'resume', runId: 'run-a' }, { type: 'deleteRun', runId: 'run-a' }, { type: 'editRun', runId: 'run-a' }, { type: 'saveSettings', config: { hiddenSize: 64 } }, { type: 'savePng', chart: 'gates', dataUrl: 'data:image/png;base64,iVBORw0KGgo=' },
    { type: 'select', runIds: ['run-a'] },
  ];
  for (const message of valid) {
    accepted(message);
    refused({ ...message, path: '/etc/passwd' }, /unexpected fields: path/);
    refused({ ...message, id: 1, command: 'rm -rf', script: 'x' }, /unexpected fields: id, command, script/);
  }
});

test('prototype keys (__proto__, constructor, prototype) are refused as unknown fields and pollute nothing', () => {
  const messages = [
    '{"type":"stop","__proto__":{"polluted":true}}',
    '{"type":"sample","temperature":1,"__proto__":{"polluted":true}}',
    '{"type":"train","config":{"__proto__":{"polluted":true}}}',
    '{"type":"train","config":{"cell":"gru","constructor":{"prototype":{"polluted":true}}}}',
    '{"type":"resume","runId":"run-a","constructor":{"prototype":{"polluted":true}}}',
    '{"type":"select","runIds":[],"prototype":{"polluted":true}}',
  ];
  for (const text of messages) refused(json(text), /unexpected fields: (__proto__|constructor|prototype)|unknown config fields: (__proto__|constructor)/);
  refused(json('{"type":"__proto__"}'), /unknown type "__proto__"/);
  refused(json('{"type":"constructor"}'), /unknown type "constructor"/);
  refused(json('{"type":"hasOwnProperty"}'), /unknown type/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
  // What passes is a new object with only the declared fields and the plain prototype.
  for (const text of ['{"type":"stop"}', '{"type":"train","config":{"cell":"gru","hiddenSize":64}}', '{"type":"select","runIds":["run-a"]}']) {
    const m = accepted(json(text));
    assert.equal(Object.getPrototypeOf(m), Object.prototype);
  }
});

// ---- Oversized ----

test('a 10 MB string in any field, or as a field name, is refused with a short reason', () => {
  const cases: unknown[] = [
    { type: TEN_MB },
    { type: 'resume', runId: `run-${TEN_MB}` },
    { type: 'deleteRun', runId: TEN_MB },
    { type: 'export', format: TEN_MB },
    { type: 'sample', temperature: TEN_MB },
    { type: 'train', config: { cell: TEN_MB } },
    { type: 'train', config: { optimizer: TEN_MB } },
    { type: 'train', config: { [TEN_MB]: 1 } },
    { type: 'select', runIds: [TEN_MB] },
    { type: 'stop', note: TEN_MB },
    { type: 'stop', [TEN_MB]: 1 },
    { type: 'reveal', offset: 3, [TEN_MB]: 1 },
  ];
  for (const message of cases) {
    const reason = refused(message);
    assert.ok(!reason.includes('x'.repeat(200)), 'the reason does not repeat the oversized value');
  }
});

test('huge arrays and objects with many fields are refused', () => {
  refused({ type: 'select', runIds: Array.from({ length: 1_000_000 }, (_, i) => `run-${i}`) }, new RegExp(`at most ${MAX_SELECTED_RUNS}`));
  refused({ type: 'select', runIds: new Array(2 ** 24) }, /runIds/);
  refused({ type: 'train', config: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])) }, /unknown config fields: k0, k1, k2, k3, k4/);
  refused(Object.fromEntries([['type', 'stop'], ...Array.from({ length: 100_000 }, (_, i) => [`f${i}`, i])]), /unexpected fields: f0, f1, f2, f3, f4/);
});

test('deeply nested values are refused without recursing into them', () => {
  const nested = deep(100_000);
  refused({ type: 'train', config: { cell: nested } }, /config\.cell has the wrong type/);
  refused({ type: 'train', config: nested }, /config must be an object/);
  refused({ type: 'select', runIds: nested }, /runIds/);
  refused({ type: 'stop', extra: nested }, /unexpected fields: extra/);
  refused({ type: nested }, /missing type/);
  // Nested as the host receives it: JSON.parse copes with this depth.
  refused(json(`{"type":"sample","temperature":${'['.repeat(50_000)}${']'.repeat(50_000)}}`), /temperature/);
});

// ---- Unknown ----

test('unknown types are refused, including the host-to-webview ones and near misses', () => {
  for (const type of ['eval', 'exec', 'reply', 'snapshot', 'metrics', 'status', 'runs', 'overlays', 'trace', 'gradFlow',
    'READY', 'Stop', ' ready', 'ready ', 'ready\u0000', '', 'toString', 'valueOf', 'loadcheckpoint', 'save', 'delete']) {
    refused({ type }, /unknown type/);
  }
});

test('a value whose fields cannot be read is refused, not thrown', () => {
  const throwing = new Proxy({}, { get: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); } });
  refused(throwing);
  refused({ type: 'stop', get extra() { throw new Error('getter'); } }, /unexpected fields: extra/);
  const getterType = Object.defineProperty({}, 'type', { enumerable: true, get: () => { throw new Error('getter'); } });
  refused(getterType);
});

// ---- The panel host ----

/**
 * The `vscode` module as the panel host uses it, recording the webview panels it creates. Enough
 * to run src/panel/labPanel.ts outside VS Code.
 */
function fakeVscode() {
  class Uri {
    constructor(readonly path: string) {}
    static joinPath(base: Uri, ...parts: string[]): Uri { return new Uri([base.path, ...parts].join('/')); }
    toString(): string { return `file://${this.path}`; }
  }
  class Disposable {
    constructor(private readonly fn: () => void) {}
    static from(...items: { dispose(): void }[]): Disposable { return new Disposable(() => items.forEach((d) => d.dispose())); }
    dispose(): void { this.fn(); }
  }
  const created: { options: unknown; panel: FakePanel }[] = [];
  const serializers: { deserializeWebviewPanel(panel: FakePanel): Promise<void> }[] = [];
  const vscode = {
    Uri,
    Disposable,
    ViewColumn: { Beside: -2 },
    workspace: { workspaceFolders: undefined, fs: {} },
    env: { language: 'en' },
    // English: no bundle, and t fills in its arguments.
    l10n: { bundle: undefined, t: (message: string, ...args: unknown[]) => message.replace(/\{(\d+)\}/g, (_m: string, i: string) => String(args[Number(i)])) },
    window: {
      registerWebviewPanelSerializer: (_viewType: string, s: (typeof serializers)[number]) => { serializers.push(s); return new Disposable(() => {}); },
      createWebviewPanel: (_viewType: string, _title: string, _column: unknown, options: unknown) => {
        const panel = new FakePanel();
        created.push({ options, panel });
        return panel;
      },
      showSaveDialog: async () => undefined,
      showErrorMessage: async () => undefined,
    },
  };
  class FakePanel {
    visible = true;
    iconPath: unknown;
    readonly listeners: ((raw: unknown) => void)[] = [];
    readonly posted: unknown[] = [];
    readonly webview = {
      options: undefined as unknown,
      html: '',
      cspSource: 'https://*.vscode-cdn.net',
      asWebviewUri: (u: Uri) => ({ toString: () => `https://file%2B.vscode-resource.vscode-cdn.net${u.path}` }),
      onDidReceiveMessage: (listener: (raw: unknown) => void) => { this.listeners.push(listener); return new Disposable(() => {}); },
      postMessage: async (m: unknown) => { this.posted.push(m); return true; },
    };
    onDidChangeViewState(): Disposable { return new Disposable(() => {}); }
    onDidDispose(): Disposable { return new Disposable(() => {}); }
    reveal(): void {}
    dispose(): void {}
    /** Delivers a message from the webview as VS Code does; returns what the listener threw, if anything. */
    receive(raw: unknown): unknown {
      try {
        for (const l of this.listeners) l(raw);
        return undefined;
      } catch (e) {
        return e;
      }
    }
  }
  return { vscode, created, serializers, FakePanel };
}

/** One fake for the file: src/panel/labPanel.ts is loaded once, against it. */
const fake = fakeVscode();

/** Loads src/panel/labPanel.ts with the fake in place of the `vscode` module. */
async function loadLabPanel() {
  const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
  const original = loader._load;
  loader._load = function load(request, parent, isMain) {
    return request === 'vscode' ? fake.vscode : original.call(this, request, parent, isMain);
  };
  try {
    return await import('../../src/panel/labPanel');
  } finally {
    loader._load = original;
  }
}

async function hostWithPanel() {
  const { LabPanel } = await loadLabPanel();
  const warnings: string[] = [];
  const commands: WebviewToHost[] = [];
  const log = { info: () => {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
  const state = { snapshot: () => emptySnapshot(formOf(DEFAULT_TRAIN_CONFIG)) };
  const extensionUri = new fake.vscode.Uri('/ext');
  const host = new LabPanel(extensionUri as never, state as never, log as never, (m) => commands.push(m));
  return { host, warnings, commands, extensionUri };
}

test('the panel host gives the webview scripts and exactly dist and media as local resource roots, new or restored', async () => {
  const { host } = await hostWithPanel();
  const before = fake.created.length;
  host.show();
  assert.equal(fake.created.length, before + 1);
  const expected = { enableScripts: true, enableForms: false, localResourceRoots: ['/ext/dist', '/ext/media'] };
  const plain = (o: unknown) => {
    const { localResourceRoots, ...rest } = o as { localResourceRoots: { path: string }[] };
    return { ...rest, localResourceRoots: localResourceRoots.map((u) => u.path) };
  };
  assert.deepEqual(plain(fake.created.at(-1)!.options), expected, 'createWebviewPanel options');
  assert.deepEqual(plain(fake.created.at(-1)!.panel.webview.options), expected, 'webview.options');
  // Nothing else: no command URIs, no port mapping.
  assert.deepEqual(Object.keys(fake.created.at(-1)!.panel.webview.options as object).sort(), ['enableForms', 'enableScripts', 'localResourceRoots']);
  const html = fake.created.at(-1)!.panel.webview.html;
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-[0-9a-f]{32}'; style-src https:\/\/\*\.vscode-cdn\.net; /);
  assert.match(html, /<script nonce="[0-9a-f]{32}" src="https:\/\/file%2B\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\.js"><\/script>/);
  host.dispose();

  // A panel VS Code restores after a reload gets the same options.
  const again = await hostWithPanel();
  const restored = new fake.FakePanel();
  await fake.serializers.at(-1)!.deserializeWebviewPanel(restored);
  assert.deepEqual(plain(restored.webview.options), expected);
  again.host.dispose();
});

test('the panel host logs and drops malformed, oversized and unknown messages without throwing; valid ones get through', async () => {
  const { host, warnings, commands } = await hostWithPanel();
  host.show();
  const panel = fake.created.at(-1)!.panel;
  const bad: unknown[] = [
    null, 'stop', [], {}, { type: 'eval', code: 'process.exit()' }, { type: 'stop', extra: 1 },
    json('{"type":"train","config":{"__proto__":{"polluted":true}}}'),
    { type: 'resume', runId: '../../../etc' }, { type: 'sample', temperature: 'hot' },
    { type: TEN_MB }, { type: 'stop', [TEN_MB]: 1 }, { type: 'train', config: { [TEN_MB]: 1 } },
    { type: 'select', runIds: Array.from({ length: 100_000 }, () => 'run-a') }, { type: 'train', config: { cell: deep(100_000) } },
    new Proxy({}, { get: () => { throw new Error('trap'); } }),
  ];
  for (const [i, message] of bad.entries()) {
    assert.equal(panel.receive(message), undefined, `message ${i} threw out of the handler`);
    assert.equal(warnings.length, i + 1, `message ${i} was logged once`);
    assert.match(warnings[i], /^Ignored a malformed message from the panel: ./);
    assert.ok(warnings[i].length <= MAX_REASON + 60, `message ${i}: a log line of ${warnings[i].length} characters`);
  }
  assert.deepEqual(commands, [], 'nothing malformed reached the commands');
  assert.deepEqual(panel.posted, [], 'nothing was answered');

  panel.receive({ type: 'stop' });
  panel.receive(json('{"type":"train","config":{"cell":"gru"}}'));
  panel.receive({ type: 'ready' });
  // `ready` is answered with a snapshot, and then goes on to the rest (the seq2seq card is sent again).
  assert.deepEqual(commands, [{ type: 'stop' }, { type: 'train', config: { cell: 'gru' } }, { type: 'ready' }]);
  assert.deepEqual(panel.posted.map((m) => (m as { type: string }).type), ['snapshot'], 'ready is answered with a snapshot');
  assert.equal(warnings.length, bad.length, 'valid messages log nothing');
  host.dispose();
});
