/** The cell of each cell name: the one place a name becomes its forward and backward steps. */
import type { Cell } from './cell';
import type { CellName } from '../../protocol/runConfig';
import { gru } from './gru';
import { cifgLstm, lstm, noForgetLstm, peepholeLstm } from './lstmFamily';
import { simpleRnn } from './simpleRnn';

const CELLS: Record<CellName, Cell> = { rnn: simpleRnn, lstm, noforget: noForgetLstm, peephole: peepholeLstm, cifg: cifgLstm, gru };

export function cellOf(type: CellName): Cell {
  const cell = CELLS[type];
  if (!cell) throw new Error(`unknown cell type "${type}"`);
  return cell;
}
