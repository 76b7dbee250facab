/** Tokens shown readably in hover markdown. No `vscode` import. */

const WHITESPACE_NAMES: Record<string, string> = { ' ': 'space', '\n': 'newline', '\r': 'return', '\t': 'tab' };

/** Shows a character readably in markdown: whitespace by name, control characters by code, the rest as code. */
export function showChar(ch: string): string {
  if (WHITESPACE_NAMES[ch]) return `*${WHITESPACE_NAMES[ch]}*`;
  const cp = ch.codePointAt(0)!;
  if (cp < 32 || cp === 127) return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return '`` ' + ch.replace(/`/g, '\u02cb') + ' ``';
}

/** Shows a token: a single character as showChar, a whitespace run by its parts ("*return* *newline*", "*space* ×4"). */
export function showToken(token: string): string {
  const chars = [...token];
  if (chars.length === 1) return showChar(token);
  if (/^\s+$/.test(token)) {
    const parts: string[] = [];
    for (let i = 0; i < chars.length;) {
      let j = i;
      while (j < chars.length && chars[j] === chars[i]) j++;
      const name = WHITESPACE_NAMES[chars[i]] ? `*${WHITESPACE_NAMES[chars[i]]}*` : showChar(chars[i]);
      parts.push(j - i > 1 ? `${name} ×${j - i}` : name);
      i = j;
    }
    return parts.join(' ');
  }
  const shown = token.length > 40 ? `${token.slice(0, 40)}…` : token;
  return '`` ' + shown.replace(/`/g, '\u02cb').replace(/[\u0000-\u001f\u007f]/g, (c) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`) + ' ``';
}
