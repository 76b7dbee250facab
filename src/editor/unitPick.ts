/**
 * Choosing a unit to paint, step by step: layer, then gate or state, then unit — each a quick
 * pick built from the model's shape. Without a known shape, the unit is typed as "layer name unit".
 */
import * as vscode from 'vscode';
import type { UnitRef } from '../protocol/inspectionMessages';
import { CELL_TRACE_NAMES, CELL_TYPES, type CellName } from '../protocol/runConfig';
import { parseUnit } from './unitText';

/** The shape of the model whose units are offered. */
export interface ModelShape {
  cell: string;
  layers: number;
  hiddenSize: number;
}

const NAME_HELP: Record<string, string> = {
  h: 'hidden state: what the layer passes on (−1…1)',
  c: 'cell state: the memory carried from step to step',
  input: 'input gate: how much of the candidate is written (0…1)',
  forget: 'forget gate: how much of the memory is kept (0…1)',
  output: 'output gate: how much of the memory is shown as h (0…1)',
  candidate: 'candidate: the new content proposed at this step (−1…1)',
  update: 'update gate: how much of h is replaced (0…1)',
  reset: 'reset gate: how much of h the candidate reads (0…1)',
};

let last: UnitRef = { layer: 0, name: 'c', unit: 0 };

const TITLE = 'Show Unit Activation';

export async function askUnit(shape: ModelShape | null): Promise<UnitRef | undefined> {
  const cell = shape && (CELL_TYPES as readonly string[]).includes(shape.cell) ? (shape.cell as CellName) : null;
  if (!shape || !cell) return askUnitText();
  const total = shape.layers > 1 ? 3 : 2;
  let step = 1;
  let layer = 0;
  if (shape.layers > 1) {
    const pick = await vscode.window.showQuickPick(
      Array.from({ length: shape.layers }, (_, i) => ({ label: `Layer ${i + 1}`, description: i === 0 ? 'reads the tokens' : `reads layer ${i}`, picked: i === last.layer, layer: i })),
      { title: `${TITLE} (${step}/${total}): layer`, placeHolder: 'Which layer' },
    );
    if (!pick) return undefined;
    layer = pick.layer;
    step++;
  }
  const { states, gates } = CELL_TRACE_NAMES[cell];
  const names = await vscode.window.showQuickPick(
    [
      { label: 'States', kind: vscode.QuickPickItemKind.Separator, name: '' },
      ...states.map((n) => ({ label: n, description: NAME_HELP[n] ?? '', name: n })),
      ...(gates.length > 0 ? [{ label: 'Gates', kind: vscode.QuickPickItemKind.Separator, name: '' }] : []),
      ...gates.map((n) => ({ label: n, description: NAME_HELP[n] ?? '', name: n })),
    ],
    { title: `${TITLE} (${step}/${total}): gate or state`, placeHolder: `Which state or gate of layer ${layer + 1}` },
  );
  if (!names) return undefined;
  step++;
  const unit = await vscode.window.showQuickPick(
    Array.from({ length: shape.hiddenSize }, (_, u) => ({ label: String(u), description: u === last.unit ? 'last shown' : '', unit: u })),
    { title: `${TITLE} (${step}/${total}): unit`, placeHolder: `Unit 0–${shape.hiddenSize - 1} (type its number); Find Units Tracking Pattern suggests units` },
  );
  if (!unit) return undefined;
  last = { layer, name: names.name, unit: unit.unit };
  return last;
}

async function askUnitText(): Promise<UnitRef | undefined> {
  const text = await vscode.window.showInputBox({
    title: TITLE,
    prompt: 'Which unit to paint on the text: layer (from 1), gate or state, unit (from 0). Find Units Tracking Pattern suggests units.',
    value: `${last.layer + 1} ${last.name} ${last.unit}`,
    validateInput: (v) => { const u = parseUnit(v); return typeof u === 'string' ? u : null; },
  });
  if (text === undefined) return undefined;
  const u = parseUnit(text);
  if (typeof u === 'string') return undefined;
  last = u;
  return u;
}
