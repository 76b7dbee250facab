/**
 * The panel's texts in the display language: the host puts `vscode.l10n.bundle` (the same
 * l10n/bundle.l10n.<locale>.json the host reads; nothing for English) as JSON in the page's
 * `<html data-l10n>` (src/panel/html.ts), and main.ts configures @vscode/l10n with it before the
 * first render. Messages are translated when shown, never at module load, which comes first.
 *
 * `npm run l10n` finds a message only in a call spelled `l10n.t('…')` in a module that imports
 * `* as l10n from '@vscode/l10n'` (the extractor matches the import's source, not what it
 * resolves to), so the panel's modules call the library that way; the configuration here is the
 * one they all share. `t` is the same call for code that already holds a message.
 */
import * as l10n from '@vscode/l10n';

/** `message` in the display language, its `{0}`, `{1}`… replaced by `args`. */
export function t(message: string, ...args: (string | number)[]): string {
  return l10n.t(message, ...args);
}

/**
 * A bundle if `raw` is one: an object whose every value is a string. Anything else (an array, a
 * value that is not a string, a parse error upstream) gives undefined, and the panel stays English.
 */
export function validBundle(raw: unknown): Record<string, string> | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  // No prototype: a message such as "constructor" must not find Object's.
  const bundle = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') return undefined;
    bundle[key] = value;
  }
  return bundle;
}

/** The bundle embedded in the page, if there is a valid one. */
export function readEmbeddedBundle(doc: Document = document): Record<string, string> | undefined {
  const text = doc.documentElement.dataset.l10n;
  if (!text) return undefined;
  try {
    return validBundle(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Makes every later `l10n.t` answer from `contents`; undefined or an invalid bundle means English. */
export function configureL10n(contents: Record<string, string> | undefined): void {
  l10n.config({ contents: validBundle(contents) ?? {} });
}
