/**
 * Which model answers hovers, traces and samples: the document it was trained on, its token kind,
 * and a stored run's checkpoint that waits to be loaded into the engine until something first
 * needs it (after a window reload or a worker crash).
 */
import type * as vscode from 'vscode';
import type { Log } from '../log';
import { errorMessage } from '../protocol/messages';
import type { TokenChoice } from '../protocol/runConfig';
import type { EngineWorker } from '../worker/engineWorker';

export interface StoredModel {
  runId: string;
  /** The run's checkpoint file. */
  path: string;
}

export class CurrentModel {
  private trainedUri: vscode.Uri | undefined;
  tokens: TokenChoice = 'char';
  /** A stored checkpoint to load before the next prediction, trace or sample. */
  pending: StoredModel | undefined;
  private loading: Promise<void> | undefined;

  /** `onUri` hears whenever the model's document changes (undefined: no model). */
  constructor(
    private readonly worker: EngineWorker,
    private readonly log: Log,
    private readonly isTraining: () => boolean,
    private readonly onUri: (uri: vscode.Uri | undefined) => void = () => undefined,
  ) {}

  /** The document the model was trained on. */
  get uri(): vscode.Uri | undefined {
    return this.trainedUri;
  }

  set uri(uri: vscode.Uri | undefined) {
    this.trainedUri = uri;
    this.onUri(uri);
  }

  /** The model of a run that just started training on `uri`: the engine holds it. */
  trainedOn(uri: vscode.Uri | undefined, tokens: TokenChoice): void {
    this.uri = uri;
    this.tokens = tokens;
    this.pending = undefined;
  }

  /** Resolves once a checkpoint being loaded has landed (or failed). */
  async settled(): Promise<void> {
    await this.loading;
  }

  /** Loads the pending checkpoint into the engine, once; a training run's model needs nothing. */
  async ensure(): Promise<void> {
    const pending = this.pending;
    if (!pending || this.isTraining()) return;
    this.loading ??= this.worker.load(pending.runId, pending.path).then(
      (loaded) => { this.log.info(`Loaded the model of ${pending.runId} (step ${loaded.step}) from its checkpoint`); },
      (e) => {
        this.log.warn(`The model of ${pending.runId} could not be loaded: ${errorMessage(e)}`);
        if (!this.isTraining()) this.uri = undefined;
      },
    ).finally(() => {
      if (this.pending === pending) this.pending = undefined;
      this.loading = undefined;
    });
    await this.loading;
  }
}
