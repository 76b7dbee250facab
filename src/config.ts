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
  /** Seconds between checkpoints of a training run. */
  checkpointEverySeconds: number;
  /** Runs kept per workspace. */
  keepRuns: number;
  /** Training budget of each cell type in a comparison, in seconds. */
  compareSeconds: number;
  /** Generate Text at Cursor: tokens and temperature. */
  generate: { length: number; temperature: number };
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
  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const v = c.get<unknown>(key);
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    if (v !== undefined) problems.push(`lstmLab.${key}: ${JSON.stringify(v)} is not a whole number in ${min}…${max}; using ${fallback}.`);
    return fallback;
  };
  return {
    train: config,
    problems,
    maxCharacters: maxCharacters as number,
    hover: { enabled: hoverEnabled(c.get<unknown>('hover.enabled'), problems), topK: integer('hover.topK', 5, 1, 20) },
    checkpointEverySeconds: integer('runs.checkpointEverySeconds', 60, 5, 3600),
    keepRuns: integer('runs.keep', 30, 1, 500),
    compareSeconds: integer('compare.secondsPerCell', 30, 5, 3600),
    generate: { length: integer('generate.length', 200, 1, 2000), temperature: generateTemperature(c.get<unknown>('generate.temperature'), problems) },
  };
}

function hoverEnabled(v: unknown, problems: string[]): boolean {
  if (typeof v === 'boolean') return v;
  if (v !== undefined) problems.push(`lstmLab.hover.enabled: ${JSON.stringify(v)} is not true or false; using true.`);
  return true;
}

function generateTemperature(v: unknown, problems: string[]): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0.05 && v <= 2) return v;
  if (v !== undefined) problems.push(`lstmLab.generate.temperature: ${JSON.stringify(v)} is not a number in 0.05…2; using 0.8.`);
  return 0.8;
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
