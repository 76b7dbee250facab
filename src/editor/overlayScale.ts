/** How overlay values map to colour levels. No `vscode` import. */

/** Lower edges (bits) of the surprisal levels; below the first, the model expected the token and nothing is painted. */
export const SURPRISAL_LEVELS = [1, 2, 4, 6, 9];
/** Lower edges of |activation| (scaled to −1…1) of the activation levels. */
export const ACTIVATION_LEVELS = [0.2, 0.4, 0.6, 0.8];
/** Names whose values are already in −1…1 (tanh outputs). */
const SIGNED = new Set(['h', 'candidate']);

/** A value to show on a −1…1 scale: h and the candidate are −1…1, c goes through tanh as it does into h, gates are 0…1 (centred at ½). */
export function activationScale(name: string, v: number): number {
  if (SIGNED.has(name)) return v;
  if (name === 'c') return Math.tanh(v);
  return 2 * v - 1;
}

/** Whether a unit's values are shown as they are (h, candidate: −1…1), as tanh (c), or as 2·v − 1 (gates). */
export function scaleKind(name: string): 'signed' | 'tanh' | 'gate' {
  if (SIGNED.has(name)) return 'signed';
  return name === 'c' ? 'tanh' : 'gate';
}

/** The level (0-based) a value falls in, or −1 below the first edge. */
export function levelOf(edges: readonly number[], v: number): number {
  let level = -1;
  for (let i = 0; i < edges.length; i++) if (v >= edges[i]) level = i;
  return level;
}

