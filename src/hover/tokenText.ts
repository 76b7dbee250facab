/** Tokens shown readably in hover markdown. No `vscode` import. */

/** The names whitespace is shown by: space, newline, return, tab (the host passes them in the display language). */
export type WhitespaceNames = Readonly<Record<' ' | '\n' | '\r' | '\t', string>>;

const WHITESPACE_NAMES: WhitespaceNames = { ' ': 'space', '\n': 'newline', '\r': 'return', '\t': 'tab' };

function nameOf(ch: string, names: WhitespaceNames): string | undefined {
  return (names as Readonly<Record<string, string>>)[ch];
}

/** Shows a character readably in markdown: whitespace by name, control characters by code, the rest as code. */
export function showChar(ch: string, names: WhitespaceNames = WHITESPACE_NAMES): string {
  const name = nameOf(ch, names);
  if (name) return `*${name}*`;
  const cp = ch.codePointAt(0)!;
  if (cp < 32 || cp === 127) return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return '`` ' + ch.replace(/`/g, '\u02cb') + ' ``';
}

/** Shows a token: a single character as showChar, a whitespace run by its parts ("*return* *newline*", "*space* ×4"). */
export function showToken(token: string, names: WhitespaceNames = WHITESPACE_NAMES): string {
  const chars = [...token];
  if (chars.length === 1) return showChar(token, names);
  if (/^\s+$/.test(token)) {
    const parts: string[] = [];
    for (let i = 0; i < chars.length;) {
      let j = i;
      while (j < chars.length && chars[j] === chars[i]) j++;
      const name = showChar(chars[i], names);
      parts.push(j - i > 1 ? `${name} ×${j - i}` : name);
      i = j;
    }
    return parts.join(' ');
  }
  const shown = token.length > 40 ? `${token.slice(0, 40)}…` : token;
  return '`` ' + shown.replace(/`/g, '\u02cb').replace(/[\u0000-\u001f\u007f]/g, (c) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`) + ' ``';
}
