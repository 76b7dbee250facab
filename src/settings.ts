/**
 * Bounds and validation of the training settings, shared by the extension (settings) and the CLI
 * (flags). No `vscode` import.
 */
import { DEFAULT_TRAIN_CONFIG } from './engine/defaults';
import type { CellName, TrainConfig } from './protocol/workerProtocol';

/** How the cell types are named and described wherever a user picks one. */
export const CELL_LABELS: Record<CellName, { label: string; detail: string }> = {
  rnn: { label: 'Vanilla RNN', detail: 'h = tanh(W x + U h + b): the baseline whose gradient vanishes' },
  lstm: { label: 'LSTM', detail: 'input, forget and output gates around a cell state (forget bias 1)' },
  noforget: { label: 'LSTM without forget gate', detail: 'the cell state only accumulates, as in the first LSTM' },
  peephole: { label: 'Peephole LSTM', detail: 'gates also read the cell state' },
  cifg: { label: 'Coupled input-forget LSTM', detail: 'one gate decides both: forget = 1 − input' },
  gru: { label: 'GRU', detail: 'update and reset gates, no separate cell state' },
};

interface NumberBound {
  min: number;
  max: number;
  integer: boolean;
  /** The setting's key under lstmLab.train. */
  key: string;
}

interface ChoiceBound {
  choices: readonly string[];
  key: string;
}

type Bound = NumberBound | ChoiceBound;

export const TRAIN_BOUNDS: Record<keyof TrainConfig, Bound> = {
  cell: { choices: ['rnn', 'lstm', 'noforget', 'peephole', 'cifg', 'gru'], key: 'cell' },
  layers: { min: 1, max: 4, integer: true, key: 'layers' },
  hiddenSize: { min: 4, max: 1024, integer: true, key: 'hiddenSize' },
  dropout: { min: 0, max: 0.9, integer: false, key: 'dropout' },
  optimizer: { choices: ['adam', 'rmsprop', 'sgd'], key: 'optimizer' },
  tokens: { choices: ['char', 'word'], key: 'tokens' },
  gradEvery: { min: 0, max: 1e6, integer: true, key: 'gradientEvery' },
  workers: { min: 1, max: 8, integer: true, key: 'workers' },
  seqLength: { min: 2, max: 512, integer: true, key: 'sequenceLength' },
  batchSize: { min: 1, max: 256, integer: true, key: 'batchSize' },
  learningRate: { min: 1e-6, max: 10, integer: false, key: 'learningRate' },
  clipNorm: { min: 0, max: 1e6, integer: false, key: 'clipNorm' },
  maxSeconds: { min: 0, max: 86_400, integer: false, key: 'maxSeconds' },
  maxSteps: { min: 0, max: 1e9, integer: true, key: 'maxSteps' },
  valFraction: { min: 0, max: 0.5, integer: false, key: 'validationFraction' },
  valEvery: { min: 1, max: 1e6, integer: true, key: 'validateEvery' },
  sampleEvery: { min: 0, max: 1e6, integer: true, key: 'sampleEvery' },
  seed: { min: 0, max: 2 ** 31 - 1, integer: true, key: 'seed' },
};

/**
 * Returns a configuration in which every invalid value is replaced by its default, and one
 * sentence per problem naming the setting, the bad value and what was used instead.
 */
export function validateTrainConfig(
  raw: Partial<Record<keyof TrainConfig, unknown>>,
  label: (settingKey: string) => string = (key) => `lstmLab.train.${key}`,
): { config: TrainConfig; problems: string[] } {
  const config = { ...DEFAULT_TRAIN_CONFIG };
  const problems: string[] = [];
  for (const name of Object.keys(TRAIN_BOUNDS) as (keyof TrainConfig)[]) {
    const bound = TRAIN_BOUNDS[name];
    const value = raw[name];
    if (value === undefined) continue;
    const fallback = DEFAULT_TRAIN_CONFIG[name];
    const reject = (why: string) => problems.push(`${label(bound.key)}: ${why}; using ${fallback}.`);
    if ('choices' in bound) {
      if (typeof value === 'string' && bound.choices.includes(value)) (config as Record<string, unknown>)[name] = value;
      else reject(`${JSON.stringify(value)} is not one of ${bound.choices.join(', ')}`);
    } else if (typeof value !== 'number' || !Number.isFinite(value)) reject(`${JSON.stringify(value)} is not a number`);
    else if (bound.integer && !Number.isInteger(value)) reject(`${value} is not a whole number`);
    else if (value < bound.min || value > bound.max) reject(`${value} is outside ${bound.min}…${bound.max}`);
    else (config as Record<string, unknown>)[name] = value;
  }
  if (config.maxSeconds === 0 && config.maxSteps === 0) {
    problems.push('lstmLab.train.maxSeconds and lstmLab.train.maxSteps are both 0 (no limit); training runs until stopped.');
  }
  return { config, problems };
}

/**
 * One notification for the settings problems: a single one in full; several by the names of the
 * settings (each sentence is in the log).
 */
export function settingsProblemsMessage(problems: string[]): string {
  const names = problems.map((p) => /^(lstmLab\.[\w.]+):/.exec(p)?.[1]).filter((n): n is string => n !== undefined);
  if (names.length <= 1) return `${names.length === 1 ? 'an invalid setting was replaced by its default. ' : ''}${problems.join(' ')}`;
  return `${names.length} invalid settings were replaced by their defaults: ${names.join(', ')}. ${problems[0]} The log "LSTM Lab" lists each one.`;
}
