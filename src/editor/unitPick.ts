/**
 * Choosing a unit to paint, step by step: layer, then gate or state, then unit — each a quick
 * pick built from the model's shape. Without a known shape, the unit is typed as "layer name unit".
 */
import * as vscode from 'vscode';
import type { UnitRef } from '../protocol/inspectionMessages';
import { CELL_TRACE_NAMES, CELL_TYPES, type CellName } from '../protocol/runConfig';
import { parseUnit, type UnitProblems } from './unitText';

/** The shape of the model whose units are offered. */
export interface ModelShape {
  cell: string;
  layers: number;
  hiddenSize: number;
}

/** What each gate and state is, for the pick (a function: the texts follow VS Code's display language). */
function nameHelp(name: string): string {
  switch (name) {
    case 'h': return vscode.l10n.t('hidden state: what the layer passes on (−1…1)');
    case 'c': return vscode.l10n.t('cell state: the memory carried from step to step');
    case 'input': return vscode.l10n.t('input gate: how much of the candidate is written (0…1)');
    case 'forget': return vscode.l10n.t('forget gate: how much of the memory is kept (0…1)');
    case 'output': return vscode.l10n.t('output gate: how much of the memory is shown as h (0…1)');
    case 'candidate': return vscode.l10n.t('candidate: the new content proposed at this step (−1…1)');
    case 'update': return vscode.l10n.t('update gate: how much of h is replaced (0…1)');
    case 'reset': return vscode.l10n.t('reset gate: how much of h the candidate reads (0…1)');
    default: return '';
  }
}

let last: UnitRef = { layer: 0, name: 'c', unit: 0 };


export async function askUnit(shape: ModelShape | null): Promise<UnitRef | undefined> {
  const title = (step: number, total: number, what: string) => vscode.l10n.t('Show Unit Activation ({0}/{1}): {2}', step, total, what);
  const cell = shape && (CELL_TYPES as readonly string[]).includes(shape.cell) ? (shape.cell as CellName) : null;
  if (!shape || !cell) return askUnitText();
  const total = shape.layers > 1 ? 3 : 2;
  let step = 1;
  let layer = 0;
  if (shape.layers > 1) {
    const pick = await vscode.window.showQuickPick(
      Array.from({ length: shape.layers }, (_, i) => ({
        label: vscode.l10n.t('Layer {0}', i + 1), description: i === 0 ? vscode.l10n.t('reads the tokens') : vscode.l10n.t('reads layer {0}', i), picked: i === last.layer, layer: i,
      })),
      { title: title(step, total, vscode.l10n.t('layer')), placeHolder: vscode.l10n.t('Which layer') },
    );
    if (!pick) return undefined;
    layer = pick.layer;
    step++;
  }
  const { states, gates } = CELL_TRACE_NAMES[cell];
  const names = await vscode.window.showQuickPick(
    [
      { label: vscode.l10n.t('States'), kind: vscode.QuickPickItemKind.Separator, name: '' },
      ...states.map((n) => ({ label: n, description: nameHelp(n), name: n })),
      ...(gates.length > 0 ? [{ label: vscode.l10n.t('Gates'), kind: vscode.QuickPickItemKind.Separator, name: '' }] : []),
      ...gates.map((n) => ({ label: n, description: nameHelp(n), name: n })),
    ],
    { title: title(step, total, vscode.l10n.t('gate or state')), placeHolder: vscode.l10n.t('Which state or gate of layer {0}', layer + 1) },
  );
  if (!names) return undefined;
  step++;
  const unit = await vscode.window.showQuickPick(
    Array.from({ length: shape.hiddenSize }, (_, u) => ({ label: String(u), description: u === last.unit ? vscode.l10n.t('last shown') : '', unit: u })),
    {
      title: title(step, total, vscode.l10n.t('unit')),
      placeHolder: vscode.l10n.t('Unit 0–{0} (type its number); Find Units Tracking Pattern suggests units', shape.hiddenSize - 1),
    },
  );
  if (!unit) return undefined;
  last = { layer, name: names.name, unit: unit.unit };
  return last;
}

async function askUnitText(): Promise<UnitRef | undefined> {
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Show Unit Activation'),
    prompt: vscode.l10n.t('Which unit to paint on the text: layer (from 1), gate or state, unit (from 0). Find Units Tracking Pattern suggests units.'),
    value: `${last.layer + 1} ${last.name} ${last.unit}`,
    validateInput: (v) => { const u = parseUnit(v, unitProblems()); return typeof u === 'string' ? u : null; },
  });
  if (text === undefined) return undefined;
  const u = parseUnit(text);
  if (typeof u === 'string') return undefined;
  last = u;
  return u;
}

/** parseUnit's answers to text it cannot read, in the display language. */
function unitProblems(): UnitProblems {
  return {
    format: vscode.l10n.t('write the layer (from 1), the gate or state (c, h, input, forget, output, candidate, update, reset…) and the unit (from 0), e.g. 1 c 17'),
    layer: vscode.l10n.t('the layer is from 1 to 4'),
  };
}
