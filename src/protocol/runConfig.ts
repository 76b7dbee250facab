/**
 * A training run's configuration, written once: its type, defaults, bounds, labels, descriptions
 * and validation. Plain data and pure functions with no `vscode` and no tfjs import, so the
 * extension host (settings), the engine (checkpoints), the CLI (flags) and the webview (the form)
 * read the same table. package.json's `lstmLab.train.*` settings are generated from it by
 * `npm run settings` (see settingsSchema.ts) and a unit test fails when the two drift apart.
 */

export const CELL_TYPES = ['rnn', 'lstm', 'noforget', 'peephole', 'cifg', 'gru'] as const;
export type CellName = (typeof CELL_TYPES)[number];
export const OPTIMIZERS = ['adam', 'rmsprop', 'sgd'] as const;
export type OptimizerChoice = (typeof OPTIMIZERS)[number];
export const TOKEN_MODES = ['char', 'word'] as const;
export type TokenChoice = (typeof TOKEN_MODES)[number];
export const KERNELS = ['fused', 'tfjs'] as const;
export type KernelChoice = (typeof KERNELS)[number];

/** Everything a training run needs to know. Mirrors the `lstmLab.train.*` settings. */
export interface TrainConfig {
  cell: CellName;
  /** Stacked recurrent layers. */
  layers: number;
  /** Hidden units per layer. */
  hiddenSize: number;
  /** Dropout between layers while training. */
  dropout: number;
  optimizer: OptimizerChoice;
  tokens: TokenChoice;
  /** Measure gradient norms by lag every N steps (0 = never). */
  gradEvery: number;
  /** Threads training data-parallel (one core each). */
  workers: number;
  /** Truncated BPTT window length T. */
  seqLength: number;
  /** Parallel streams B. */
  batchSize: number;
  learningRate: number;
  /** Clip gradients by global norm; 0 turns clipping off. */
  clipNorm: number;
  /** Wall-clock budget in seconds (0 = no limit). */
  maxSeconds: number;
  /** Step budget (0 = no limit). */
  maxSteps: number;
  /** Fraction of the text held out at the end for validation. */
  valFraction: number;
  /** Evaluate validation loss every N steps. */
  valEvery: number;
  /** Generate a short sample every N steps (0 = never). */
  sampleEvery: number;
  seed: number;
  /** Fused WebAssembly kernels where they cover the model, or tfjs throughout. */
  kernels: KernelChoice;
}

/**
 * What a cell exposes per unit for traces and overlays: its states (c only where the cell keeps
 * one) and its gates and candidate, by the names the engine traces them under.
 */
export const CELL_TRACE_NAMES: Record<CellName, { states: readonly string[]; gates: readonly string[] }> = {
  rnn: { states: ['h'], gates: [] },
  lstm: { states: ['c', 'h'], gates: ['input', 'forget', 'output', 'candidate'] },
  noforget: { states: ['c', 'h'], gates: ['input', 'output', 'candidate'] },
  peephole: { states: ['c', 'h'], gates: ['input', 'forget', 'output', 'candidate'] },
  cifg: { states: ['c', 'h'], gates: ['input', 'forget', 'output', 'candidate'] },
  gru: { states: ['h'], gates: ['update', 'reset', 'candidate'] },
};

/** How each cell type is named wherever a user picks one, and described in the settings. */
export const CELL_LABELS: Record<CellName, { label: string; detail: string; description: string }> = {
  rnn: {
    label: 'Vanilla RNN',
    detail: 'h = tanh(W x + U h + b): the baseline whose gradient vanishes',
    description: 'Vanilla RNN: h = tanh(W[h, x] + b). Watch its gradients vanish.',
  },
  lstm: {
    label: 'LSTM',
    detail: 'input, forget and output gates around a cell state (forget bias 1)',
    description: 'LSTM with input, forget and output gates (forget bias 1).',
  },
  noforget: {
    label: 'LSTM without forget gate',
    detail: 'the cell state only accumulates, as in the first LSTM',
    description: 'LSTM without a forget gate (the 1997 original): the cell state only accumulates.',
  },
  peephole: {
    label: 'Peephole LSTM',
    detail: 'gates also read the cell state',
    description: 'Peephole LSTM: the gates also see the cell state.',
  },
  cifg: {
    label: 'Coupled input-forget LSTM',
    detail: 'one gate decides both: forget = 1 − input',
    description: 'Coupled input-forget gates: i = 1 − f.',
  },
  gru: {
    label: 'GRU',
    detail: 'update and reset gates, no separate cell state',
    description: 'Gated recurrent unit: update and reset gates, no separate cell state.',
  },
};

interface SettingText {
  /** The setting's key under `lstmLab.train`. */
  key: string;
  /** The settings editor's text (Markdown). */
  description: string;
  /** The panel form's label and tooltip, for the fields the form shows. */
  label: string;
  hint: string;
}

export interface NumberSetting extends SettingText {
  default: number;
  min: number;
  max: number;
  integer: boolean;
}

export interface ChoiceSetting<C extends string = string> extends SettingText {
  default: C;
  choices: readonly C[];
  /** One display label and one settings description per choice, in the order of `choices`. */
  choiceLabels: readonly string[];
  choiceDescriptions: readonly string[];
}

export type TrainSetting = NumberSetting | ChoiceSetting;

type SettingOf<V> = [V] extends [string] ? ChoiceSetting<V> : NumberSetting;

/**
 * Every field of a run's configuration, in the order the settings editor lists them. The
 * defaults are LSTM 128, batch 16, BPTT 64, Adam 1e-2, clip 5: learning rate and batch come from
 * the sweep in the README (fastest to a low validation loss on three kinds of text); the speed
 * benchmark's reference workload (batch 32, Adam 2e-3) is set by `lstm-lab bench` itself.
 */
export const TRAIN_SETTINGS: { [K in keyof TrainConfig]: SettingOf<TrainConfig[K]> } = {
  cell: {
    key: 'cell', default: 'lstm', choices: CELL_TYPES,
    choiceLabels: CELL_TYPES.map((c) => CELL_LABELS[c].label),
    choiceDescriptions: CELL_TYPES.map((c) => CELL_LABELS[c].description),
    description: 'Recurrent cell type.',
    label: 'Cell', hint: 'The recurrent cell of every layer',
  },
  layers: {
    key: 'layers', default: 1, min: 1, max: 4, integer: true,
    description: 'Stacked recurrent layers (1–4).',
    label: 'Layers', hint: 'Stacked recurrent layers',
  },
  hiddenSize: {
    key: 'hiddenSize', default: 128, min: 4, max: 1024, integer: true,
    description: 'Number of LSTM hidden units. More units learn more but train slower.',
    label: 'Hidden units', hint: 'Units per layer',
  },
  dropout: {
    key: 'dropout', default: 0, min: 0, max: 0.9, integer: false,
    description: 'Dropout between stacked layers while training (0 = off).',
    label: 'Dropout', hint: 'Dropout between stacked layers while training',
  },
  seqLength: {
    key: 'sequenceLength', default: 64, min: 2, max: 512, integer: true,
    description: 'Truncated BPTT length *T*: how many characters the gradient flows back through in one step. The hidden state is still carried across windows.',
    label: 'BPTT length', hint: 'Steps the gradient flows back through (truncated BPTT window)',
  },
  batchSize: {
    key: 'batchSize', default: 16, min: 1, max: 256, integer: true,
    description: 'Number of parallel streams *B* the text is cut into. Each step trains on *B × T* characters.',
    label: 'Batch', hint: 'Parallel streams through the text',
  },
  learningRate: {
    key: 'learningRate', default: 1e-2, min: 1e-6, max: 10, integer: false,
    description: 'Learning rate of the optimizer.',
    label: 'Learning rate', hint: 'Step size of the optimizer',
  },
  clipNorm: {
    key: 'clipNorm', default: 5, min: 0, max: 1e6, integer: false,
    description: 'Clip gradients by global norm to this value. `0` turns clipping off (watch gradients explode).',
    label: 'Clip norm', hint: 'Gradients are scaled down to this global norm; 0 turns clipping off',
  },
  optimizer: {
    key: 'optimizer', default: 'adam', choices: OPTIMIZERS,
    choiceLabels: ['Adam', 'RMSProp', 'SGD'],
    choiceDescriptions: [
      'Adam: per-weight step sizes from running averages of the gradient and its square.',
      'RMSProp: per-weight step sizes from a running average of the squared gradient.',
      'Plain stochastic gradient descent.',
    ],
    description: 'Optimizer.',
    label: 'Optimizer', hint: 'How gradients become weight updates',
  },
  maxSeconds: {
    key: 'maxSeconds', default: 120, min: 0, max: 86_400, integer: false,
    description: 'Stop training after this many seconds. `0` means no time limit.',
    label: 'Seconds', hint: 'Training time; 0 = until stopped (or the step limit in the settings)',
  },
  maxSteps: {
    key: 'maxSteps', default: 0, min: 0, max: 1e9, integer: true,
    description: 'Stop training after this many steps. `0` means no step limit.',
    label: 'Steps', hint: 'Training steps; 0 = no step limit',
  },
  valFraction: {
    key: 'validationFraction', default: 0.1, min: 0, max: 0.5, integer: false,
    description: 'Fraction of the file held out at its end to measure validation loss.',
    label: 'Validation fraction', hint: 'Share of the file held out at its end',
  },
  valEvery: {
    key: 'validateEvery', default: 50, min: 1, max: 1e6, integer: true,
    description: 'Measure validation loss every *N* training steps.',
    label: 'Validate every', hint: 'Steps between validation measurements',
  },
  sampleEvery: {
    key: 'sampleEvery', default: 100, min: 0, max: 1e6, integer: true,
    description: 'Generate a sample every *N* training steps and show it in the panel. `0` turns sampling off.',
    label: 'Sample every', hint: 'Steps between samples; 0 = never',
  },
  seed: {
    key: 'seed', default: 1, min: 0, max: 2 ** 31 - 1, integer: true,
    description: 'Random seed for weight initialisation and sampling: the same seed and settings give the same run.',
    label: 'Seed', hint: 'Same seed, same initial weights and data order',
  },
  tokens: {
    key: 'tokens', default: 'char', choices: TOKEN_MODES,
    choiceLabels: ['characters', 'words'],
    choiceDescriptions: ['Characters (Unicode code points).', 'Words: runs of letters and digits, single punctuation, whitespace runs.'],
    description: 'What the model reads and predicts.',
    label: 'Tokens', hint: 'Characters or words',
  },
  gradEvery: {
    key: 'gradientEvery', default: 10, min: 0, max: 1e6, integer: true,
    description: 'Measure how much gradient reaches each earlier time step every *N* steps (0 = never).',
    label: 'Gradient every', hint: 'Steps between gradient-by-lag measurements; 0 = never',
  },
  workers: {
    key: 'workers', default: 1, min: 1, max: 8, integer: true,
    description: 'Threads that train data-parallel, one core each: the batch streams are split between them and their gradients summed, giving the same result as one thread (with dropout, each thread draws its own masks). More than one trains faster but leaves less of the machine to the editor. With the fused kernels each thread needs a multiple of 4 streams.',
    label: 'Workers', hint: 'Training threads, one core each',
  },
  kernels: {
    key: 'kernels', default: 'fused', choices: KERNELS,
    choiceLabels: ['fused', 'tfjs'],
    choiceDescriptions: [
      'Fused WebAssembly SIMD kernels: a window\'s forward and backward pass in a few calls per layer. Used for every cell, depth and dropout with Adam (hidden a multiple of 8, batch a multiple of 4); other runs train with tfjs.',
      'TensorFlow.js throughout: the reference implementation, for every cell; slower.',
    ],
    description: 'How training steps are computed. Both give the same model up to float rounding; hovers, traces and samples always use TensorFlow.js.',
    label: 'Kernels', hint: 'Fused WebAssembly kernels or TensorFlow.js',
  },
};

export const TRAIN_FIELDS = Object.keys(TRAIN_SETTINGS) as (keyof TrainConfig)[];

export function isChoice(s: TrainSetting): s is ChoiceSetting {
  return 'choices' in s;
}

/** The defaults of every field, from the table. */
export const DEFAULT_TRAIN_CONFIG: Readonly<TrainConfig> = Object.freeze(
  Object.fromEntries(TRAIN_FIELDS.map((f) => [f, TRAIN_SETTINGS[f].default])) as unknown as TrainConfig,
);

/**
 * Returns a configuration in which every invalid value is replaced by its default, and one
 * sentence per problem naming the setting, the bad value and what was used instead.
 */
export function validateTrainConfig(
  raw: Partial<Record<keyof TrainConfig, unknown>>,
  label: (settingKey: string) => string = (key) => `lstmLab.train.${key}`,
): { config: TrainConfig; problems: string[] } {
  const config: Record<string, unknown> = { ...DEFAULT_TRAIN_CONFIG };
  const problems: string[] = [];
  for (const name of TRAIN_FIELDS) {
    const setting: TrainSetting = TRAIN_SETTINGS[name];
    const value = raw[name];
    if (value === undefined) continue;
    const reject = (why: string) => problems.push(`${label(setting.key)}: ${why}; using ${setting.default}.`);
    if (isChoice(setting)) {
      if (typeof value === 'string' && setting.choices.includes(value)) config[name] = value;
      else reject(`${JSON.stringify(value)} is not one of ${setting.choices.join(', ')}`);
    } else if (typeof value !== 'number' || !Number.isFinite(value)) reject(`${JSON.stringify(value)} is not a number`);
    else if (setting.integer && !Number.isInteger(value)) reject(`${value} is not a whole number`);
    else if (value < setting.min || value > setting.max) reject(`${value} is outside ${setting.min}…${setting.max}`);
    else config[name] = value;
  }
  const valid = config as unknown as TrainConfig;
  if (valid.maxSeconds === 0 && valid.maxSteps === 0) {
    problems.push('lstmLab.train.maxSeconds and lstmLab.train.maxSteps are both 0 (no limit); training runs until stopped.');
  }
  return { config: valid, problems };
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
