import type { Cell, CellType } from './cell';
import { gru } from './gru';
import { cifgLstm, lstm, noForgetLstm, peepholeLstm } from './lstmFamily';
import { simpleRnn } from './simpleRnn';

const CELLS: Record<CellType, Cell> = { rnn: simpleRnn, lstm, noforget: noForgetLstm, peephole: peepholeLstm, cifg: cifgLstm, gru };

export function cellOf(type: CellType): Cell {
  const cell = CELLS[type];
  if (!cell) throw new Error(`unknown cell type "${type}"`);
  return cell;
}
