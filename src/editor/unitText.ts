/** Patterns and unit names as the user types them. No `vscode` import. */
import type { UnitRef } from '../protocol/inspectionMessages';

/** Most matches marked and used. */
export const MAX_MATCHES = 50_000;

/** Arguments for scripted use: a pattern, and whether to skip the quick pick. */
export interface UnitSearchOptions {
  pattern?: string;
  flags?: string;
  pick?: boolean;
}

export function unitSearchOptions(arg: unknown): UnitSearchOptions {
  if (typeof arg !== 'object' || arg === null) return {};
  const o = arg as Record<string, unknown>;
  return {
    pattern: typeof o.pattern === 'string' ? o.pattern : undefined,
    flags: typeof o.flags === 'string' ? o.flags : undefined,
    pick: typeof o.pick === 'boolean' ? o.pick : undefined,
  };
}

/** Matches of `pattern` in `text` (empty matches skipped), sorted and not overlapping. */
export function findMatches(text: string, pattern: RegExp, max = MAX_MATCHES): { start: number; end: number }[] {
  const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`;
  const re = new RegExp(pattern.source, flags);
  const out: { start: number; end: number }[] = [];
  for (const m of text.matchAll(re)) {
    if (m[0].length === 0) continue;
    out.push({ start: m.index!, end: m.index! + m[0].length });
    if (out.length >= max) break;
  }
  return out;
}

/** A unit from a scripted call: `{ layer, name, unit }` with a 0-based layer. */
export function unitArg(arg: unknown): UnitRef | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const { layer, name, unit } = arg as Record<string, unknown>;
  if (!Number.isInteger(layer) || typeof name !== 'string' || !Number.isInteger(unit)) return undefined;
  return { layer: layer as number, name, unit: unit as number };
}

/** What parseUnit answers to text it cannot read (the host passes them in the display language). */
export interface UnitProblems {
  format: string;
  layer: string;
}

const UNIT_PROBLEMS: UnitProblems = {
  format: 'write the layer (from 1), the gate or state (c, h, input, forget, output, candidate, update, reset…) and the unit (from 0), e.g. 1 c 17',
  layer: 'the layer is from 1 to 4',
};

/** Parses "2 c 17" (layer from 1, a gate or state name, a unit from 0). */
export function parseUnit(text: string, problems: UnitProblems = UNIT_PROBLEMS): UnitRef | string {
  const m = /^\s*(\d+)\s+([a-z]+)\s+(\d+)\s*$/i.exec(text);
  if (!m) return problems.format;
  const layer = Number(m[1]) - 1;
  if (layer < 0 || layer > 3) return problems.layer;
  return { layer, name: m[2].toLowerCase(), unit: Number(m[3]) };
}

