/**
 * webview/settingText.ts writes out, for `npm run l10n`, the labels, hints and choice labels of
 * src/protocol/runConfig.ts's table: in English it says exactly what the table says, for every
 * setting, every choice and every cell type, and with the Simplified Chinese bundle each of them
 * is translated. A setting or choice added to one side only, or reworded on one side, fails here.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as l10n from '@vscode/l10n';
import { CELL_LABELS, CELL_TYPES, isChoice, TRAIN_FIELDS, TRAIN_SETTINGS, type TrainSetting } from '../../src/protocol/runConfig';
import { choiceLabel, settingText } from '../../webview/settingText';
import { repo } from './helpers/nls';

/** Choice labels that are names (of optimizers, of a library) and read the same in every language. */
const NAMES = new Set(['Adam', 'RMSProp', 'SGD', 'tfjs']);
const CJK = /[\u4e00-\u9fff]/;
const bundle = (locale?: string) => JSON.parse(fs.readFileSync(path.join(repo, 'l10n', locale ? `bundle.l10n.${locale}.json` : 'bundle.l10n.json'), 'utf8')) as Record<string, string>;

/** Every choice of every choice setting with the table's label for it. */
const choices = (): [string, string][] => TRAIN_FIELDS.flatMap((f) => {
  const s: TrainSetting = TRAIN_SETTINGS[f];
  return isChoice(s) ? s.choices.map((c, k): [string, string] => [c, s.choiceLabels[k]]) : [];
});

test('in English the map says what TRAIN_SETTINGS and CELL_LABELS say, for every setting, choice and cell', () => {
  l10n.config({ contents: {} });
  assert.ok(TRAIN_FIELDS.length >= 19, `${TRAIN_FIELDS.length} settings`);
  for (const f of TRAIN_FIELDS) {
    assert.deepEqual(settingText(f), { label: TRAIN_SETTINGS[f].label, hint: TRAIN_SETTINGS[f].hint }, `setting ${f}`);
  }
  for (const [choice, label] of choices()) assert.equal(choiceLabel(choice), label, `choice ${choice}`);
  for (const c of CELL_TYPES) assert.equal(choiceLabel(c), CELL_LABELS[c].label, `cell ${c}`);
  assert.equal(choiceLabel('not-a-choice'), 'not-a-choice');
});

test('every label, hint and choice label the map translates is in the bundle, and zh-cn translates it', () => {
  const en = bundle();
  const zh = bundle('zh-cn');
  const texts = [
    ...TRAIN_FIELDS.flatMap((f) => [TRAIN_SETTINGS[f].label, TRAIN_SETTINGS[f].hint]),
    ...choices().map(([, label]) => label).filter((label) => !NAMES.has(label)),
  ];
  assert.deepEqual(texts.filter((t) => !(t in en)), [], 'missing from l10n/bundle.l10n.json: run npm run l10n');
  assert.deepEqual(texts.filter((t) => !(t in zh)), [], 'missing from l10n/bundle.l10n.zh-cn.json');
  l10n.config({ contents: zh });
  try {
    for (const f of TRAIN_FIELDS) {
      const { label, hint } = settingText(f);
      assert.match(label, CJK, `setting ${f}: ${label}`);
      assert.match(hint, CJK, `setting ${f}: ${hint}`);
    }
    for (const [choice, label] of choices()) {
      if (NAMES.has(label)) assert.equal(choiceLabel(choice), label, `choice ${choice} is a name`);
      else assert.match(choiceLabel(choice), CJK, `choice ${choice}: ${choiceLabel(choice)}`);
    }
  } finally {
    l10n.config({ contents: {} });
  }
});
