/** Typed mirror of the `lstmLab.*` settings in package.json, refreshed on change. */
import * as vscode from 'vscode';
import type { TrainConfig } from './protocol/workerProtocol';
import { TRAIN_BOUNDS, validateTrainConfig } from './settings';

export interface LabConfig {
  train: TrainConfig;
  /** Sentences describing invalid settings that were replaced by defaults. */
  problems: string[];
  maxCharacters: number;
  hover: { enabled: boolean; topK: number };
}

const MAX_CHARACTERS = { fallback: 2_000_000, min: 1000, max: 50_000_000 };

export function readConfig(): LabConfig {
  const c = vscode.workspace.getConfiguration('lstmLab');
  const raw: Partial<Record<keyof TrainConfig, unknown>> = {};
  for (const [name, bound] of Object.entries(TRAIN_BOUNDS)) {
    raw[name as keyof TrainConfig] = c.get(`train.${bound.key}`);
  }
  const { config, problems } = validateTrainConfig(raw);
  let maxCharacters = c.get<unknown>('data.maxCharacters');
  if (typeof maxCharacters !== 'number' || !Number.isInteger(maxCharacters) || maxCharacters < MAX_CHARACTERS.min || maxCharacters > MAX_CHARACTERS.max) {
    if (maxCharacters !== undefined) problems.push(`lstmLab.data.maxCharacters: ${JSON.stringify(maxCharacters)} is not a whole number in ${MAX_CHARACTERS.min}…${MAX_CHARACTERS.max}; using ${MAX_CHARACTERS.fallback}.`);
    maxCharacters = MAX_CHARACTERS.fallback;
  }
  const topK = c.get<unknown>('hover.topK');
  return {
    train: config,
    problems,
    maxCharacters: maxCharacters as number,
    hover: {
      enabled: c.get<unknown>('hover.enabled') !== false,
      topK: typeof topK === 'number' && Number.isInteger(topK) && topK >= 1 && topK <= 20 ? topK : 5,
    },
  };
}

/** Holds the current configuration; one listener refreshes it. */
export class ConfigStore implements vscode.Disposable {
  private current = readConfig();
  private readonly listener: vscode.Disposable;

  constructor() {
    this.listener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('lstmLab')) this.current = readConfig();
    });
  }

  get value(): LabConfig {
    return this.current;
  }

  dispose(): void {
    this.listener.dispose();
  }
}
