/** Every command's id in one enum, and their registration with the extension's subscriptions. */
import * as vscode from 'vscode';

/** Every command id, one prefix. Titles live in package.json. */
export enum CommandId {
  Train = 'lstmLab.train',
  Stop = 'lstmLab.stop',
  ShowPanel = 'lstmLab.showPanel',
  CompareCells = 'lstmLab.compareCells',
  ResumeRun = 'lstmLab.resumeRun',
  Generate = 'lstmLab.generateAtCursor',
  ToggleSurprisal = 'lstmLab.toggleSurprisal',
  ShowUnitActivation = 'lstmLab.showUnitActivation',
  HideOverlay = 'lstmLab.hideOverlay',
  FindUnits = 'lstmLab.findUnits',
  OpenSample = 'lstmLab.openSample',
  TrainSeq2Seq = 'lstmLab.trainSeq2Seq',
  StopSeq2Seq = 'lstmLab.stopSeq2Seq',
  NewSeq2SeqSample = 'lstmLab.newSeq2SeqSample',
  ContinueSeq2Seq = 'lstmLab.continueSeq2Seq',
  CompareSeq2SeqAttention = 'lstmLab.compareSeq2SeqAttention',
  ExportForPyTorch = 'lstmLab.exportForPyTorch',
}

export type CommandHandlers = Record<CommandId, (...args: unknown[]) => unknown>;

export function registerCommands(handlers: CommandHandlers): vscode.Disposable[] {
  return (Object.keys(handlers) as CommandId[]).map((id) => vscode.commands.registerCommand(id, handlers[id]));
}
