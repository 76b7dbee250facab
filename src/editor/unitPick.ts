/** Choosing a unit to paint: from a command argument, or typed as "layer name unit". */
import * as vscode from 'vscode';
import type { UnitRef } from '../protocol/inspectionMessages';
import { parseUnit } from './unitText';

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
