/**
 * package.json as VS Code shows it: its `%key%` placeholders resolved through package.nls.json
 * (English) or package.nls.<locale>.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const repo = path.join(__dirname, '..', '..', '..');

/** package.nls.json, or package.nls.<locale>.json for a locale. */
export function readNls(locale?: string): Record<string, string> {
  return JSON.parse(fs.readFileSync(path.join(repo, locale ? `package.nls.${locale}.json` : 'package.nls.json'), 'utf8')) as Record<string, string>;
}

/** The key of a string that is exactly one placeholder, `%key%`, or undefined. */
export function placeholderKey(value: string): string | undefined {
  return /^%([^%\s]+)%$/.exec(value)?.[1];
}

/** A copy of `value` with every placeholder string replaced by its text; an unknown key throws. */
export function resolveNls<T>(value: T, nls: Record<string, string>): T {
  if (typeof value === 'string') {
    const key = placeholderKey(value);
    if (key === undefined) return value;
    if (!(key in nls)) throw new Error(`no text for %${key}%`);
    return nls[key] as T;
  }
  if (Array.isArray(value)) return value.map((v: unknown) => resolveNls(v, nls)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveNls(v, nls)])) as T;
  }
  return value;
}

/** package.json with its English texts (or a locale's). */
export function readManifest<T>(locale?: string): T {
  return resolveNls(JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as T, readNls(locale));
}
