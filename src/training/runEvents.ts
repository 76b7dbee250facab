/**
 * What a run's engine events become in the editor: points in the panel's charts, the run list's
 * record, the status bar's step and loss, and lines in the log. The controller keeps the run's
 * life cycle (start, done, crash); this file only shows what arrives.
 */
import type * as vscode from 'vscode';
import type { Log } from '../log';
import type { PanelState } from '../panel/panelState';
import type { LabPanel } from '../panel/labPanel';
import type { DoneEvent, WorkerToHost } from '../protocol/workerProtocol';
import type { RunLibrary } from '../runs/runLibrary';
import { formatRate, type TrainingStatusBar } from '../statusBar';

/** The run being trained, as the progress notification and the status bar follow it. */
export interface ActiveRun {
  runId: string;
  uri: vscode.Uri;
  fileName: string;
  lastStep: number;
  lastLoss: number;
  finish: () => void;
}

export interface RunEventSinks {
  readonly panel: LabPanel;
  readonly state: PanelState;
  readonly library: RunLibrary;
  readonly status: TrainingStatusBar;
  readonly log: Log;
}

/** Shows one event of a run (any but `done`, which ends the run and is the controller's). */
export function showRunEvent(e: Exclude<WorkerToHost, DoneEvent>, sinks: RunEventSinks, run: ActiveRun | undefined): void {
  const { panel, state, library, status, log } = sinks;
  switch (e.type) {
    case 'steps': {
      panel.post(state.addSteps(e.runId, e.points, e.charsPerSec));
      library.touched(e.runId);
      const last = e.points[e.points.length - 1];
      if (run && run.runId === e.runId && last) {
        run.lastStep = last.step;
        run.lastLoss = last.loss;
        status.running(last.step, last.loss, e.charsPerSec, run.fileName);
      }
      break;
    }
    case 'val':
      panel.post(state.addVal(e.runId, { step: e.step, loss: e.loss, seconds: e.seconds }));
      library.validated(e.runId, e.loss);
      log.info(`Run ${e.runId}: step ${e.step}, validation loss ${e.loss.toFixed(4)}`);
      break;
    case 'sample':
      panel.post(state.setSample(e.runId, e.step, e.text));
      break;
    case 'gradByLag':
      panel.post(state.setGradFlow(e.runId, { step: e.step, h: e.h, c: e.c, clipped: e.clipped }));
      break;
    case 'checkpoint':
      library.checkpointWritten(e.runId, e.step);
      break;
    case 'log':
      log[e.level](e.message);
      break;
    case 'reply':
      break;
  }
}

/** One line on how a run ended: steps, losses and speed. */
export function doneSummary(e: DoneEvent): string {
  const loss = e.trainLoss === null ? 'n/a' : e.trainLoss.toFixed(3);
  const val = e.valLoss === null ? 'n/a' : e.valLoss.toFixed(3);
  return `${e.steps} steps, loss ${loss}, validation ${val}, ${formatRate(e.charsPerSec)} chars/s`;
}
