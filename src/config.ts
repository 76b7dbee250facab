/** Typed mirror of the `lstmLab.*` settings in package.json, refreshed on change. */
import * as vscode from 'vscode';
import { TRAIN_FIELDS, TRAIN_SETTINGS, validateTrainConfig, type TrainConfig } from './protocol/runConfig';
import { readEditorSetting } from './protocol/settingsSchema';

export interface LabConfig {
  train: TrainConfig;
  /** Sentences describing invalid settings that were replaced by defaults. */
  problems: string[];
  maxCharacters: number;
  hover: { enabled: boolean; topK: number; details: boolean };
  /** Seconds between checkpoints of a training run. */
  checkpointEverySeconds: number;
  /** Runs kept per workspace. */
  keepRuns: number;
  /** Training budget of each cell type in a comparison, in seconds. */
  compareSeconds: number;
  /** Generate Text at Cursor: tokens and temperature. */
  generate: { length: number; temperature: number };
  /** Train Seq2Seq on File. */
  seq2seq: { attention: 'none' | 'dot' | 'additive'; bidirectional: boolean; hiddenSize: number; beam: number; maxSeconds: number };
}

/** Reads every `lstmLab.*` setting through the tables in src/protocol (bounds, defaults). */
export function readConfig(): LabConfig {
  const c = vscode.workspace.getConfiguration('lstmLab');
  const raw: Partial<Record<keyof TrainConfig, unknown>> = {};
  for (const name of TRAIN_FIELDS) raw[name] = c.get(`train.${TRAIN_SETTINGS[name].key}`);
  const { config, problems } = validateTrainConfig(raw);
  const read = <K extends Parameters<typeof readEditorSetting>[0]>(key: K) => readEditorSetting(key, c.get<unknown>(key), problems);
  return {
    train: config,
    problems,
    maxCharacters: read('data.maxCharacters'),
    hover: { enabled: read('hover.enabled'), topK: read('hover.topK'), details: read('hover.details') },
    checkpointEverySeconds: read('runs.checkpointEverySeconds'),
    keepRuns: read('runs.keep'),
    compareSeconds: read('compare.secondsPerCell'),
    generate: { length: read('generate.length'), temperature: read('generate.temperature') },
    seq2seq: {
      attention: read('seq2seq.attention'), bidirectional: read('seq2seq.bidirectional'), hiddenSize: read('seq2seq.hiddenSize'),
      beam: read('seq2seq.beam'), maxSeconds: read('seq2seq.maxSeconds'),
    },
  };
}

/** Holds the current configuration; one listener refreshes it. */
export class ConfigStore implements vscode.Disposable {
  private current = readConfig();
  private readonly listener: vscode.Disposable;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after the settings changed and were read again. */
  readonly onDidChange = this.changed.event;

  constructor() {
    this.listener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('lstmLab')) return;
      this.current = readConfig();
      this.changed.fire();
    });
  }

  get value(): LabConfig {
    return this.current;
  }

  dispose(): void {
    this.listener.dispose();
    this.changed.dispose();
  }
}
