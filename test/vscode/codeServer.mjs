// Shared helpers for running tests inside a real VS Code without downloading one: code-server
// (VS Code 1.100.3 served over HTTP, installed from npm) opened in Debian's Chromium through
// playwright-core. Everything a run writes (code-server state, the browser profile, workspaces)
// goes into one scratch folder under .scratch/ so runs never touch the user's own VS Code and
// never see each other.
import { spawn } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const HOST = '127.0.0.1';

// --- cleanup -------------------------------------------------------------------------------

const cleanups = new Set();
let exitHandlersInstalled = false;

/** Registers a synchronous cleanup that must run however the process ends. */
export function onExit(fn) {
  installExitHandlers();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function runCleanups() {
  for (const fn of [...cleanups].reverse()) {
    try { fn(); } catch { /* best effort: the process is going away */ }
  }
  cleanups.clear();
}

function installExitHandlers() {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  process.on('exit', runCleanups);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    process.on(signal, () => {
      // Kill first: whoever reads our output may already be gone.
      runCleanups();
      console.error(`\nreceived ${signal}, stopped code-server and Chromium`);
      process.exit(code);
    });
  }
  process.on('uncaughtException', (err) => {
    console.error(err);
    runCleanups();
    process.exit(1);
  });
}

/**
 * Kills the whole run (code-server, its extension host, Chromium) after `ms`, so a wedged
 * workbench cannot hang CI. The exit handlers do the killing.
 */
export function deadline(ms, what) {
  const timer = setTimeout(() => {
    console.error(`${what}: time limit of ${Math.round(ms / 1000)} s exceeded, giving up`);
    runCleanups();
    process.exit(1);
  }, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/** Rejects if `promise` has not settled after `ms`. */
export async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// --- scratch folders -----------------------------------------------------------------------

/**
 * A fresh folder for one run: .scratch/<name>-<base-36 time>/. Kept when the run fails (for
 * post-mortems), removed by `dispose(true)` when it passes.
 */
export function makeScratch(name) {
  // Short names: VS Code puts unix sockets under TMPDIR, and socket paths must stay < 108 bytes.
  const root = join(REPO, '.scratch', `${name}-${Date.now().toString(36)}`);
  const dirs = {};
  for (const d of ['home', 'config', 'data', 'cache', 'tmp', 'user-data', 'extensions', 'chromium', 'workspace']) {
    dirs[d] = join(root, d);
    mkdirSync(dirs[d], { recursive: true });
  }
  return {
    root,
    ...dirs,
    dispose(passed) {
      if (passed && !process.env.KEEP_SCRATCH) rmSync(root, { recursive: true, force: true });
      else console.log(`scratch folder kept: ${root}`);
    },
  };
}

/** Copies a folder of the repo (e.g. test/fixtures) into the scratch workspace, if it exists. */
export function copyIntoWorkspace(scratch, repoRelative) {
  const from = join(REPO, repoRelative);
  if (existsSync(from)) cpSync(from, scratch.workspace, { recursive: true });
  return scratch.workspace;
}

// --- code-server ---------------------------------------------------------------------------

export function codeServerEntry() {
  const entry = join(REPO, 'node_modules/code-server/out/node/entry.js');
  if (!existsSync(entry)) {
    throw new Error(`code-server is not installed (${entry} missing): run npm ci`);
  }
  return entry;
}

/** A port nobody listens on right now (the OS picks it; code-server binds it a moment later). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

// Settings that keep the workbench free of first-run pages, prompts and network chatter, so the
// tests see the same clean window every time.
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.settings.enableNaturalLanguageSearch': false,
  'update.mode': 'none',
  'update.showReleaseNotes': false,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'npm.autoDetect': 'off',
  'typescript.disableAutomaticTypeAcquisition': true,
  'files.hotExit': 'off',
  'chat.commandCenter.enabled': false,
  'workbench.editor.restoreViewState': false,
  'window.restoreWindows': 'none',
};

/** Writes the user settings.json into a user-data-dir (code-server and desktop VS Code alike). */
export function writeUserSettings(scratch, extra = {}) {
  const userDir = join(scratch['user-data'], 'User');
  mkdirSync(userDir, { recursive: true });
  writeFileSync(join(userDir, 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...extra }, null, 2));
}

/** Environment for child processes: all state in the scratch folder, nothing inherited from an
 * enclosing VS Code (VSCODE_IPC_HOOK_CLI would make code-server hand off to that instance). */
export function isolatedEnv(scratch) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VSCODE_|ELECTRON_|CODE_SERVER_|PASSWORD$|HASHED_PASSWORD$|GITHUB_TOKEN$)/.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env,
    HOME: scratch.home,
    XDG_CONFIG_HOME: scratch.config,
    XDG_DATA_HOME: scratch.data,
    XDG_CACHE_HOME: scratch.cache,
    TMPDIR: scratch.tmp,
    // No extension gallery: the machine may be offline, and tests must not depend on it.
    EXTENSIONS_GALLERY: '{}',
  };
}

/**
 * Starts code-server on a free 127.0.0.1 port, in its own process group, and waits until
 * /healthz answers. Returns { url, host, port, remote(path), stop(), logFile }.
 */
export async function startCodeServer(scratch, { settings = {}, timeoutMs = 90_000, args = [] } = {}) {
  const entry = codeServerEntry();
  writeUserSettings(scratch, settings);
  // An explicit config file, so code-server does not write a default one with a password.
  const configFile = join(scratch.config, 'code-server.yaml');
  writeFileSync(configFile, 'auth: none\ncert: false\n');

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startOnPort(scratch, entry, configFile, port, timeoutMs, args);
    } catch (err) {
      // Another process can grab the port between freePort() and the bind; retry once then.
      if (attempt >= 2 || !/EADDRINUSE/.test(String(err.message))) throw err;
    }
  }
}

async function startOnPort(scratch, entry, configFile, port, timeoutMs, extraArgs) {
  const logFile = join(scratch.root, `code-server-${port}.log`);
  const log = createWriteStream(logFile);
  const started = Date.now();
  const child = spawn(process.execPath, [
    entry,
    '--config', configFile,
    '--bind-addr', `${HOST}:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir', scratch['user-data'],
    '--extensions-dir', scratch.extensions,
    ...extraArgs,
  ], {
    cwd: scratch.root,
    env: isolatedEnv(scratch),
    detached: true, // own process group: one kill reaches the extension host and pty host too
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let tail = '';
  const keepTail = (chunk) => {
    log.write(chunk);
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keepTail);
  child.stderr.on('data', keepTail);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });

  const killGroup = (signal) => {
    if (!child.pid) return; // never started
    try { process.kill(-child.pid, signal); } catch { /* already gone */ }
  };
  const removeCleanup = onExit(() => killGroup('SIGKILL'));

  const url = `http://${HOST}:${port}`;
  const stop = async () => {
    killGroup('SIGTERM');
    for (let i = 0; i < 30 && !exited; i++) await sleep(100);
    killGroup('SIGKILL'); // children of the group (extension host, pty host) may outlive the main process
    removeCleanup();
    log.end();
  };

  try {
    await waitForHealthz(url, timeoutMs, () => exited, () => tail);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    host: HOST,
    port,
    logFile,
    startupMs: Date.now() - started,
    tail: () => tail,
    /** vscode-remote URI of an absolute path on this server, as the workbench payload expects. */
    remote: (absPath) => `vscode-remote://${HOST}:${port}${absPath}`,
    stop,
  };
}

async function waitForHealthz(url, timeoutMs, exited, tail) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const gone = exited();
    if (gone) {
      throw new Error(`code-server exited early (code ${gone.code}, signal ${gone.signal}):\n${tail()}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await sleep(200);
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs / 1000} s:\n${tail()}`);
}

/** The workbench URL for a folder, with optional `payload` pairs (extension development/tests). */
export function workbenchUrl(server, folder, payload) {
  let url = `${server.url}/?folder=${encodeURIComponent(folder)}`;
  if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

// --- Chromium ------------------------------------------------------------------------------

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Debian's Chromium with a fresh profile in the scratch folder. Returns a playwright
 * BrowserContext (closing it closes the browser).
 */
export async function launchBrowser(scratch, { viewport = { width: 1400, height: 900 }, timeoutMs = 60_000 } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(scratch.chromium, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    timeout: timeoutMs,
    env: isolatedEnv(scratch),
    // Our signal handlers stop code-server first and then exit, which closes the browser too.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  // playwright launches Chromium in its own process group and kills that group from a
  // process 'exit' listener, so the browser dies with us even when a deadline fires.
  const close = async () => {
    try {
      await withTimeout(context.close(), 15_000, 'closing Chromium');
    } catch { /* the exit listener still kills it */ }
  };
  return { context, close };
}

// --- diagnostics ---------------------------------------------------------------------------

/**
 * Prints the error lines of the extension host's log (activation failures, uncaught errors in
 * the extension), which the workbench itself only shows as "command not found" and the like.
 */
export function printExtensionHostErrors(scratch, max = 40) {
  const logs = join(scratch['user-data'], 'logs');
  if (!existsSync(logs)) return;
  const files = readdirSync(logs, { recursive: true })
    .map(String)
    .filter((f) => /exthost\d*[\\/]remoteexthost\.log$/.test(f));
  const lines = [];
  for (const f of files) {
    const text = readFileSync(join(logs, f), 'utf8').split('\n');
    text.forEach((line, i) => {
      if (!/\[error\]/.test(line)) return;
      // The error line and the top of the stack that follows it.
      let end = i + 1;
      while (end < text.length && end < i + 4 && /^\s+at /.test(text[end])) end++;
      lines.push(...text.slice(i, end));
    });
  }
  if (!lines.length) return;
  console.log(`--- extension host errors (${logs}) ---`);
  for (const line of lines.slice(0, max)) console.log(line);
  if (lines.length > max) console.log(`… ${lines.length - max} more`);
}

// --- small shared bits ---------------------------------------------------------------------

/** Checks the build the tests need is present, with a hint instead of a cryptic failure. */
export function requireBuilt(...repoRelative) {
  const missing = repoRelative.filter((p) => !existsSync(join(REPO, p)));
  if (missing.length) throw new Error(`missing ${missing.join(', ')}: run npm run build first`);
}

export function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
