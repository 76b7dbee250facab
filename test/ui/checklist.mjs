// What the UI scenarios share: a list of named checks that records each result as it happens, and
// the workbench helpers every scenario starts with.
import { seconds } from '../vscode/codeServer.mjs';

/**
 * The checks a scenario plans, in order. A check that throws fails with its reason instead of
 * ending the run; a planned check never reached counts as failed, so totals do not shrink when
 * things break early.
 */
export class Checklist {
  constructor(planned) {
    this.planned = planned;
    this.results = [];
    /** Describes what the workbench shows (error dialogs…) to explain a failed check. */
    this.explain = async () => '';
  }

  record(name, ok, detail = '') {
    this.results.push({ name, ok });
    console.log(`${ok ? '  ✔' : '  ✘'} ${name}${detail ? ` — ${detail}` : ''}`);
    return ok;
  }

  async check(name, fn) {
    try {
      const detail = await fn();
      return this.record(name, true, typeof detail === 'string' ? detail : '');
    } catch (err) {
      const why = String(err?.message ?? err).split('\n')[0];
      const shown = await this.explain().catch(() => '');
      return this.record(name, false, shown ? `${why}; workbench shows: ${shown}` : why);
    }
  }

  get anyFailed() {
    return this.results.some((c) => !c.ok);
  }

  /** Fails the planned checks not reached; a crash counts as one more failure if all else passed. */
  totals(crashed) {
    for (const name of this.planned.filter((n) => !this.results.some((c) => c.name === n))) this.record(name, false, 'not reached');
    const passed = this.results.filter((c) => c.ok).length;
    const failed = this.results.length - passed + (crashed && this.results.every((c) => c.ok) ? 1 : 0);
    return { passed, failed };
  }
}

/** Reports a harness error (not a failed check) with the tail of code-server's log. */
export function reportCrash(label, err, server) {
  console.error(`${label}: harness error: ${err.stack ?? err}`);
  if (server) console.error(`--- code-server log tail (${server.logFile}) ---\n${server.tail()}`);
}

/**
 * Ends a scenario: counts the checks, keeps the scratch folder when something failed, prints the
 * summary line the test runner reads and exits with its status.
 */
export function finish(list, label, { started, scratch, crashed }) {
  const { passed, failed } = list.totals(crashed);
  scratch.dispose(failed === 0);
  console.log(`${label} took ${seconds(Date.now() - started)}`);
  console.log(`ui: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

/** The LSTM Lab panel's content frame. */
export function panelFrame(page) {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
}

export async function waitForWorkbench(page) {
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  // The explorer lists the folder once the remote file system is connected.
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
}

/**
 * Runs a command from the palette (F1) by its title; `keepOpen` leaves its own quick pick up. The
 * palette is opened again until it lists the command: right after the workbench shows, an
 * extension may not have registered its commands yet.
 */
export async function runCommand(page, title, { keepOpen = false, timeoutMs = 60_000 } = {}) {
  const end = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  let retried = false;
  for (;;) {
    await page.keyboard.press('F1');
    // A key pressed while the focus is still moving (into a webview, or out of a closing one) can
    // be lost: press F1 again until the palette opens.
    if (!(await input.waitFor({ timeout: 5_000 }).then(() => true, () => false))) {
      if (Date.now() > end) throw new Error(`F1 opened no command palette in ${timeoutMs / 1000} s (to run "${title}")`);
      console.log(`  (F1 opened no palette for "${title}"; pressing it again)`);
      continue;
    }
    await input.fill(`>${title}`);
    if (await row.waitFor({ timeout: 5_000 }).then(() => true, () => false)) break;
    const listed = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts().catch(() => []);
    if (Date.now() > end) throw new Error(`the palette has no command "${title}" after ${timeoutMs / 1000} s; it lists ${JSON.stringify(listed.slice(0, 5))}`);
    if (!retried) console.log(`  (the palette does not list "${title}" yet; opening it again until it does)`);
    retried = true;
    await page.keyboard.press('Escape');
  }
  await row.click();
  if (keepOpen) return;
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Opens a workspace file through Quick Open (ctrl+P) and waits for its editor tab. */
export async function quickOpen(page, fileName) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 15_000 });
  await input.fill(fileName);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: fileName }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await page.locator(`.tabs-container .tab[aria-label^="${fileName}"]`).waitFor({ timeout: 15_000 });
  await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ timeout: 15_000 });
}

/** Polls `read` every `pollMs` until `ok(value)`, or fails after `ms` with the last value. */
export async function until(what, read, ok, ms, pollMs = 500) {
  const end = Date.now() + ms;
  let value;
  for (;;) {
    try { value = await read(); } catch { /* the panel is (re)loading */ }
    if (value !== undefined && ok(value)) return value;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(value)} after ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
