/** The run configuration and the settings are written once: package.json follows the tables. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_TRAIN_CONFIG, isChoice, TRAIN_FIELDS, TRAIN_SETTINGS, validateTrainConfig, type TrainSetting } from '../../src/protocol/runConfig';
import { contributedSettings, EDITOR_SETTINGS, readEditorSetting, settingsContribution } from '../../src/protocol/settingsSchema';
import { localizedSettings, SETTINGS_NLS_PREFIX } from '../../src/protocol/settingsNls';
import { FORM_FIELDS } from '../../src/protocol/webviewProtocol';
import { readNls, resolveNls } from './helpers/nls';

const repo = path.join(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
  contributes: { configuration: unknown };
};

test('package.json\'s settings are exactly the ones generated from the tables, their texts in package.nls.json (npm run settings)', () => {
  const { configuration, english } = localizedSettings();
  // package.json holds `%key%` placeholders where the tables have texts…
  assert.deepEqual(manifest.contributes.configuration, configuration);
  // …and package.nls.json the tables' English texts under those keys, and no other generated key.
  const nls = readNls();
  for (const [key, text] of Object.entries(english)) assert.equal(nls[key], text, `package.nls.json: ${key}`);
  assert.deepEqual(Object.keys(nls).filter((k) => k.startsWith(SETTINGS_NLS_PREFIX)), Object.keys(english), 'package.nls.json: the generated keys, in order');
  assert.deepEqual(resolveNls(manifest.contributes.configuration, nls), settingsContribution(), 'resolved, the settings read as the tables');
});

test('the Settings editor groups every setting once, in order, and every choice setting explains its values', () => {
  const groups = settingsContribution();
  const keys = groups.flatMap((g) => Object.keys(g.properties));
  assert.equal(new Set(keys).size, keys.length, 'no setting in two groups');
  assert.equal(keys.length, TRAIN_FIELDS.length + Object.keys(EDITOR_SETTINGS).length, 'every setting in a group');
  groups.forEach((g, i) => {
    assert.equal(g.order, i + 1, g.id);
    assert.ok(g.title.startsWith('LSTM Lab: '), g.title);
    Object.values(g.properties).forEach((p, j) => assert.equal(p.order, j + 1, `${g.id}: order of ${Object.keys(g.properties)[j]}`));
  });
  for (const [key, p] of Object.entries(contributedSettings(groups))) {
    if (Array.isArray(p.enum)) assert.equal((p.enumDescriptions as unknown[] | undefined)?.length, p.enum.length, `${key}: enumDescriptions`);
  }
});

test('every default lies within its own bounds and every choice has a label and a description', () => {
  for (const f of TRAIN_FIELDS) {
    const s: TrainSetting = TRAIN_SETTINGS[f];
    assert.equal(DEFAULT_TRAIN_CONFIG[f], s.default, f);
    assert.ok(s.label.length > 0 && s.hint.length > 0 && s.description.length > 0, f);
    if (isChoice(s)) {
      assert.ok(s.choices.includes(s.default), f);
      assert.equal(s.choiceLabels.length, s.choices.length, f);
      assert.equal(s.choiceDescriptions.length, s.choices.length, f);
    } else {
      assert.ok(s.min <= s.default && s.default <= s.max, `${f}: ${s.min} ≤ ${s.default} ≤ ${s.max}`);
      if (s.integer) assert.ok(Number.isInteger(s.default) && Number.isInteger(s.min) && Number.isInteger(s.max), f);
    }
  }
  for (const [key, s] of Object.entries(EDITOR_SETTINGS)) {
    if (s.type === 'string') {
      assert.ok(s.choices.includes(s.default), key);
      assert.equal(s.choiceDescriptions.length, s.choices.length, key);
    } else if (s.type !== 'boolean') assert.ok(s.min <= s.default && s.default <= s.max, key);
  }
  // The form shows a subset of the run's fields.
  for (const f of FORM_FIELDS) assert.ok(TRAIN_FIELDS.includes(f), f);
  // The defaults validate cleanly against the table.
  assert.deepEqual(validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG }).problems, []);
});

test('run settings: a bad value becomes the default with a sentence naming the setting', () => {
  const { config, problems } = validateTrainConfig({ workers: 9, layers: 2.5, cell: 'lstm2', hiddenSize: 64 });
  assert.equal(config.workers, DEFAULT_TRAIN_CONFIG.workers);
  assert.equal(config.layers, DEFAULT_TRAIN_CONFIG.layers);
  assert.equal(config.cell, DEFAULT_TRAIN_CONFIG.cell);
  assert.equal(config.hiddenSize, 64);
  assert.deepEqual(problems, [
    'lstmLab.train.cell: "lstm2" is not one of rnn, lstm, noforget, peephole, cifg, gru; using lstm.',
    'lstmLab.train.layers: 2.5 is not a whole number; using 1.',
    'lstmLab.train.workers: 9 is outside 1…8; using 1.',
  ]);
});

test('editor settings: valid values pass, invalid ones fall back with a sentence, unset ones silently', () => {
  const problems: string[] = [];
  assert.equal(readEditorSetting('hover.topK', 7, problems), 7);
  assert.equal(readEditorSetting('hover.topK', undefined, problems), 5);
  assert.deepEqual(problems, []);
  assert.equal(readEditorSetting('hover.topK', 2.5, problems), 5);
  assert.equal(readEditorSetting('generate.temperature', 2.5, problems), 0.8);
  assert.equal(readEditorSetting('generate.temperature', 1.5, problems), 1.5);
  assert.equal(readEditorSetting('hover.enabled', 'yes', problems), true);
  assert.equal(readEditorSetting('hover.enabled', false, problems), false);
  assert.equal(readEditorSetting('seq2seq.attention', 'additive', problems), 'additive');
  assert.equal(readEditorSetting('seq2seq.attention', 'luong', problems), 'dot');
  assert.deepEqual(problems, [
    'lstmLab.hover.topK: 2.5 is not a whole number in 1…20; using 5.',
    'lstmLab.generate.temperature: 2.5 is not a number in 0.05…2; using 0.8.',
    'lstmLab.hover.enabled: "yes" is not true or false; using true.',
    'lstmLab.seq2seq.attention: "luong" is not one of none, dot, additive; using dot.',
  ]);
});
