/** Wiring only: every feature lives in its own module. */
import * as vscode from 'vscode';
import { CommandId, registerCommands } from './commands';
import { ConfigStore } from './config';
import { PredictionHoverProvider } from './hover/predictionHover';
import { Log } from './log';
import { LabPanel } from './panel/labPanel';
import { PanelState } from './panel/panelState';
import type { PanelSnapshot } from './protocol/webviewProtocol';
import { TrainingStatusBar } from './statusBar';
import { TraceFollower } from './training/traceFollower';
import { TrainingController, type TrainOptions } from './training/trainingController';
import { EngineWorker } from './worker/engineWorker';

/** What the extension exports, for tests and other extensions. */
export interface LabApi {
  snapshot(): PanelSnapshot;
  isTraining(): boolean;
  trainedUri(): string | undefined;
  panelOpen(): boolean;
}

export function activate(context: vscode.ExtensionContext): LabApi {
  const started = performance.now();
  const log = new Log();
  const config = new ConfigStore();
  const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');
  const worker = new EngineWorker(vscode.Uri.joinPath(dist, 'worker.js').fsPath, vscode.Uri.joinPath(dist, 'wasm').fsPath);
  const state = new PanelState();
  const status = new TrainingStatusBar();
  let controller: TrainingController | undefined;
  const panel = new LabPanel(context.extensionUri, state, log, (message) => {
    if (message.type === 'stop') void controller?.stop();
    else if (message.type === 'train') void controller?.train(controller.lastDocument());
    else if (message.type === 'sample') void controller?.sampleNow(message.temperature);
    else if (message.type === 'reveal') void controller?.reveal(message.offset);
  });
  controller = new TrainingController(worker, config, state, panel, status, log);
  const hover = new PredictionHoverProvider({
    trainedUri: () => controller.trainedUri,
    enabled: () => config.value.hover.enabled && controller.trainedOnCharacters,
    topK: () => config.value.hover.topK,
    predict: (ctx, next, k) => controller.predict(ctx, next, k),
  });
  const follower = new TraceFollower({
    trainedUri: () => controller.trainedUri,
    isTraining: () => controller.isTraining,
    current: () => (panel.isVisible && state.runId ? { runId: state.runId, step: state.lastStep } : null),
    trace: (text) => worker.trace(text),
    show: (runId, trace) => panel.post(state.setTrace(runId, trace)),
  }, log);
  context.subscriptions.push(
    log, config, status, panel, controller, worker, follower,
    vscode.languages.registerHoverProvider({ pattern: '**' }, hover),
    ...registerCommands({
      [CommandId.Train]: (arg?: unknown) => controller.train(undefined, trainOptions(arg)),
      [CommandId.Stop]: () => controller.stop(),
      [CommandId.ShowPanel]: () => panel.show(false),
    }),
  );
  log.info(`LSTM Lab activated in ${(performance.now() - started).toFixed(1)} ms`);
  return {
    snapshot: () => state.snapshot(),
    isTraining: () => controller.isTraining,
    trainedUri: () => controller.trainedUri?.toString(),
    panelOpen: () => panel.isOpen,
  };
}

function trainOptions(arg: unknown): TrainOptions {
  if (typeof arg === 'object' && arg !== null && 'ifRunning' in arg) {
    const v = (arg as { ifRunning: unknown }).ifRunning;
    if (v === 'stop' || v === 'keep') return { ifRunning: v };
  }
  return {};
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
