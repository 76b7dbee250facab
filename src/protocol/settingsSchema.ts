/**
 * Every `lstmLab.*` setting: the run's (from runConfig.ts) and the editor's (hovers, runs,
 * comparison, generation), with their defaults, bounds and descriptions, and the reader that
 * checks a raw value against them. package.json's `contributes.configuration` is generated from
 * these tables (`npm run settings`); a unit test fails when it differs. No `vscode` import.
 */
import { isChoice, TRAIN_FIELDS, TRAIN_SETTINGS, type TrainSetting } from './runConfig';

export interface EditorNumberSetting {
  type: 'integer' | 'number';
  default: number;
  min: number;
  max: number;
  description: string;
}

export interface EditorBooleanSetting {
  type: 'boolean';
  default: boolean;
  description: string;
}

export interface EditorChoiceSetting {
  type: 'string';
  default: string;
  choices: readonly string[];
  choiceDescriptions: readonly string[];
  description: string;
}

export type EditorSetting = EditorNumberSetting | EditorBooleanSetting | EditorChoiceSetting;

/** The settings outside a run's configuration, by their key under `lstmLab.`. */
export const EDITOR_SETTINGS = {
  'data.maxCharacters': {
    type: 'integer', default: 2_000_000, min: 1000, max: 50_000_000,
    description: 'Longest text trained on, in UTF-16 characters. Longer files are trained on their beginning, and LSTM Lab says so.',
  },
  'runs.checkpointEverySeconds': {
    type: 'integer', default: 60, min: 5, max: 3600,
    description: 'Seconds between checkpoints of a training run. A run is also checkpointed when it ends, so a crash or a window reload loses at most this much training; **Resume** in the run list continues from the checkpoint.',
  },
  'runs.keep': {
    type: 'integer', default: 30, min: 1, max: 500,
    description: 'How many runs (metrics and checkpoint) are kept per workspace. Beyond this, the oldest runs are deleted.',
  },
  'compare.secondsPerCell': {
    type: 'integer', default: 30, min: 5, max: 3600,
    description: 'Training time of each cell type in **LSTM Lab: Compare Cell Types on File**. Every cell gets the same budget, seed and settings.',
  },
  'hover.enabled': {
    type: 'boolean', default: true,
    description: "Show the model's predictions of the next token (character or word, as it was trained) when hovering the trained file.",
  },
  'hover.details': {
    type: 'boolean', default: false,
    description: 'Also show in the hover how the model read up to the hovered token: from a state it kept, or after a warm-up on the text before it, and in how many steps.',
  },
  'generate.length': {
    type: 'integer', default: 200, min: 1, max: 2000,
    description: 'Tokens (characters or words) that **LSTM Lab: Generate Text at Cursor** inserts.',
  },
  'generate.temperature': {
    type: 'number', default: 0.8, min: 0.05, max: 2,
    description: 'Sampling temperature of **Generate Text at Cursor**: lower is more predictable, higher more surprising.',
  },
  'seq2seq.attention': {
    type: 'string', default: 'dot', choices: ['none', 'dot', 'additive'],
    choiceDescriptions: [
      'No attention: the decoder knows the source only through the encoder\'s final state.',
      'Dot (Luong, general): score = sₜᵀ·W·hᵢ between the decoder state and each encoder state.',
      'Additive (Bahdanau): score = vᵀ·tanh(W₁hᵢ + W₂sₜ).',
    ],
    description: 'Attention of **LSTM Lab: Train Seq2Seq on File**. Train with and without it to compare them.',
  },
  'seq2seq.bidirectional': {
    type: 'boolean', default: false,
    description: 'Sequence to sequence: a second encoder reads the source backwards; attention sees both directions.',
  },
  'seq2seq.hiddenSize': {
    type: 'integer', default: 128, min: 8, max: 512,
    description: 'Sequence to sequence: units of the encoder and decoder layers (a multiple of 8). The cell, layers (1–2), tokens and seed come from the **Train** settings.',
  },
  'seq2seq.beam': {
    type: 'integer', default: 1, min: 1, max: 16,
    description: 'Sequence to sequence: beam width of the decodings shown in hovers (1 is greedy decoding). Held-out accuracy is always measured greedily.',
  },
  'seq2seq.maxSeconds': {
    type: 'integer', default: 120, min: 5, max: 7200,
    description: 'Sequence to sequence: training time in seconds (a run can be stopped sooner).',
  },
  'hover.topK': {
    type: 'integer', default: 5, min: 1, max: 20,
    description: 'How many predicted next tokens the hover lists.',
  },
} as const satisfies Record<string, EditorSetting>;

export type EditorSettingKey = keyof typeof EDITOR_SETTINGS;
type ValueOf<K extends EditorSettingKey> = (typeof EDITOR_SETTINGS)[K] extends { type: 'boolean' } ? boolean
  : (typeof EDITOR_SETTINGS)[K] extends { type: 'string'; choices: readonly (infer C)[] } ? C : number;

/**
 * Checks one editor setting's raw value: valid values come back as they are; anything else gives
 * the default and, unless the setting was simply not set, a sentence for `problems`.
 */
export function readEditorSetting<K extends EditorSettingKey>(key: K, raw: unknown, problems: string[]): ValueOf<K> {
  const s: EditorSetting = EDITOR_SETTINGS[key];
  if (s.type === 'boolean') {
    if (typeof raw === 'boolean') return raw as ValueOf<K>;
    if (raw !== undefined) problems.push(`lstmLab.${key}: ${JSON.stringify(raw)} is not true or false; using ${s.default}.`);
    return s.default as ValueOf<K>;
  }
  if (s.type === 'string') {
    if (typeof raw === 'string' && s.choices.includes(raw)) return raw as ValueOf<K>;
    if (raw !== undefined) problems.push(`lstmLab.${key}: ${JSON.stringify(raw)} is not one of ${s.choices.join(', ')}; using ${s.default}.`);
    return s.default as ValueOf<K>;
  }
  const whole = s.type === 'integer';
  if (typeof raw === 'number' && Number.isFinite(raw) && (!whole || Number.isInteger(raw)) && raw >= s.min && raw <= s.max) return raw as ValueOf<K>;
  if (raw !== undefined) problems.push(`lstmLab.${key}: ${JSON.stringify(raw)} is not ${whole ? 'a whole number' : 'a number'} in ${s.min}…${s.max}; using ${s.default}.`);
  return s.default as ValueOf<K>;
}

/** One property of package.json's `contributes.configuration.properties`. */
export type SettingContribution = Record<string, unknown>;

function trainContribution(s: TrainSetting): SettingContribution {
  if (isChoice(s)) {
    return { type: 'string', default: s.default, enum: [...s.choices], enumDescriptions: [...s.choiceDescriptions], markdownDescription: s.description };
  }
  return { type: s.integer ? 'integer' : 'number', default: s.default, minimum: s.min, maximum: s.max, markdownDescription: s.description };
}

function editorContribution(s: EditorSetting): SettingContribution {
  if (s.type === 'boolean') return { type: 'boolean', default: s.default, markdownDescription: s.description };
  if (s.type === 'string') return { type: 'string', default: s.default, enum: [...s.choices], enumDescriptions: [...s.choiceDescriptions], markdownDescription: s.description };
  return { type: s.type, default: s.default, minimum: s.min, maximum: s.max, markdownDescription: s.description };
}

/** The Settings editor's groups, in order: each takes the settings whose key starts with one of its prefixes. */
const SETTING_GROUPS: readonly { id: string; title: string; prefixes: readonly string[] }[] = [
  { id: 'training', title: 'Training', prefixes: ['train.'] },
  { id: 'editor', title: 'Hover and Editor', prefixes: ['hover.', 'generate.'] },
  { id: 'seq2seq', title: 'Sequence to Sequence', prefixes: ['seq2seq.'] },
  { id: 'runs', title: 'Data and Runs', prefixes: ['data.', 'runs.', 'compare.'] },
];

export interface SettingsGroup {
  id: string;
  title: string;
  order: number;
  properties: Record<string, SettingContribution>;
}

/**
 * package.json's `contributes.configuration`, as generated from the tables: one group per
 * SETTING_GROUPS entry, each setting with its `order` (the run's fields in TRAIN_FIELDS order).
 */
export function settingsContribution(): SettingsGroup[] {
  const all: [string, SettingContribution][] = [
    ...TRAIN_FIELDS.map((f): [string, SettingContribution] => { const s: TrainSetting = TRAIN_SETTINGS[f]; return [`train.${s.key}`, trainContribution(s)]; }),
    ...Object.entries(EDITOR_SETTINGS).map(([key, s]): [string, SettingContribution] => [key, editorContribution(s)]),
  ];
  const groups = SETTING_GROUPS.map((g, i): SettingsGroup => ({ id: `lstmLab.${g.id}`, title: `LSTM Lab: ${g.title}`, order: i + 1, properties: {} }));
  for (const [key, contribution] of all) {
    const at = SETTING_GROUPS.findIndex((g) => g.prefixes.some((p) => key.startsWith(p)));
    if (at < 0) throw new Error(`the setting lstmLab.${key} belongs to no group`);
    const group = groups[at];
    group.properties[`lstmLab.${key}`] = { ...contribution, order: Object.keys(group.properties).length + 1 };
  }
  return groups;
}

/** Every contributed setting by its full key, across the groups. */
export function contributedSettings(configuration: readonly { properties: Record<string, SettingContribution> }[]): Record<string, SettingContribution> {
  return Object.assign({}, ...configuration.map((g) => g.properties));
}
