/** Choosing a unit to paint: from a command argument, or typed as "layer name unit". */
import * as vscode from 'vscode';
import type { UnitRef } from '../protocol/workerProtocol';

/** A unit from a scripted call: `{ layer, name, unit }` with a 0-based layer. */
export function unitArg(arg: unknown): UnitRef | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const { layer, name, unit } = arg as Record<string, unknown>;
  if (!Number.isInteger(layer) || typeof name !== 'string' || !Number.isInteger(unit)) return undefined;
  return { layer: layer as number, name, unit: unit as number };
}

/** Parses "2 c 17" (layer from 1, a gate or state name, a unit from 0). */
export function parseUnit(text: string): UnitRef | string {
  const m = /^\s*(\d+)\s+([a-z]+)\s+(\d+)\s*$/i.exec(text);
  if (!m) return 'write the layer (from 1), the gate or state (c, h, input, forget, output, candidate, update, reset…) and the unit (from 0), e.g. 1 c 17';
  const layer = Number(m[1]) - 1;
  if (layer < 0 || layer > 3) return 'the layer is from 1 to 4';
  return { layer, name: m[2].toLowerCase(), unit: Number(m[3]) };
}

let last = '1 c 0';

export async function askUnit(): Promise<UnitRef | undefined> {
  const text = await vscode.window.showInputBox({
    title: 'Show Unit Activation',
    prompt: 'Which unit to paint on the text: layer (from 1), gate or state, unit (from 0). Find Units Tracking Pattern suggests units.',
    value: last,
    validateInput: (v) => { const u = parseUnit(v); return typeof u === 'string' ? u : null; },
  });
  if (text === undefined) return undefined;
  const u = parseUnit(text);
  if (typeof u === 'string') return undefined;
  last = text;
  return u;
}
