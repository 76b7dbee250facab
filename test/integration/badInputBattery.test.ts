import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { DEFAULT_TRAIN_CONFIG } from '../../src/protocol/runConfig';
import {
  expectedCharVocabulary, hasLoneSurrogate, hoverText, KeptRun, NoticeRecorder, removeWorkspaceFile, storedRun, writeWorkspaceFile,
} from './faultHelpers';
import { openFixture, useLabSuite, useTestSettings, waitFor } from './helpers';

/**
 * Each bad input: the user is told why in a notification, the extension host and its engine keep
 * answering, and nothing is lost — the run trained before (its record and checkpoint) is intact.
 */
suite('LSTM Lab: bad input battery', () => {
  const lab = useLabSuite();
  let notices: NoticeRecorder;
  let kept: KeptRun;

  suiteSetup(async () => {
    notices = new NoticeRecorder();
    kept = await KeptRun.train(lab.api, 'prose.txt');
  });
  suiteTeardown(() => notices?.dispose());
  setup(() => notices.clear());

  /** Runs "Train" on `doc` and checks the refusal, its message and that nothing else changed. */
  async function expectRefusal(doc: vscode.TextDocument, reason: RegExp): Promise<void> {
    await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    const runId = await vscode.commands.executeCommand<string | undefined>('lstmLab.train', { ifRunning: 'keep' });
    assert.equal(runId, undefined, 'no run started');
    assert.equal(lab.api.isTraining(), false);
    const message = await notices.expect('error', reason);
    assert.match(message, /^LSTM Lab cannot train on /);
    assert.equal(lab.api.snapshot().run?.runId, kept.runId, 'the panel still shows the earlier run');
    kept.assertIntact();
    // The host and its engine still answer: the earlier model hovers on its file.
    const prose = (await openFixture('prose.txt')).document;
    assert.match(await hoverText(prose, prose.getText().indexOf('Citizen') + 3), /LSTM Lab/);
  }

  /** Trains on `doc` until the run ends by itself, and checks it completed with a checkpoint. */
  async function trainToEnd(doc: vscode.TextDocument, settings: Record<string, unknown> = {}) {
    const undo = await useTestSettings({ 'train.maxSeconds': 3, ...settings });
    try {
      await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      const runId = await vscode.commands.executeCommand<string | undefined>('lstmLab.train', { ifRunning: 'stop' });
      assert.ok(runId, `training started (notifications: ${JSON.stringify(notices.all)})`);
      await waitFor('the run to end', () => !lab.api.isTraining(), 60_000);
      const snap = lab.api.snapshot();
      assert.equal(snap.run?.runId, runId);
      assert.equal(snap.status, 'completed', `the run completed: ${snap.statusMessage}`);
      assert.ok(snap.train.length > 0 && snap.train.every((p) => Number.isFinite(p.loss)), 'finite losses');
      await waitFor('the run stored with its checkpoint', () => storedRun(lab.api, runId, 'completed', true), 15_000);
      kept.assertIntact();
      return { runId, snap };
    } finally {
      await undo();
    }
  }

  test('battery: an empty file is refused, saying it is empty', async () => {
    await expectRefusal((await openFixture('empty.txt')).document, /empty\.txt\. The file is empty/);
  });

  test('battery: a one-character file is refused, saying it is too short', async () => {
    const doc = await vscode.workspace.openTextDocument(writeWorkspaceFile('single.txt', 'x'));
    await expectRefusal(doc, /single\.txt\. The file is too short: at least 32 characters are needed, it has 1\./);
  });

  test('battery: one distinct character repeated is refused, saying there is nothing to predict', async () => {
    // one-char.txt holds 400 times "a".
    await expectRefusal((await openFixture('one-char.txt')).document, /one-char\.txt\. The file uses a single distinct character/);
  });

  test('battery: a binary file (NUL bytes) is refused, saying it looks binary', async () => {
    // Text first (so that VS Code opens it as text), NUL bytes after.
    const bytes = Buffer.concat([Buffer.from('ELF header and some readable strings, then zeros\n'.repeat(30)), Buffer.alloc(64), Buffer.from('tail\n')]);
    const doc = await vscode.workspace.openTextDocument(writeWorkspaceFile('binary.dat', bytes));
    await expectRefusal(doc, /binary\.dat\. The file looks binary \(it contains NUL bytes\)/);
    // Also from an unsaved editor whose text starts with NUL bytes.
    notices.clear();
    const untitled = await vscode.workspace.openTextDocument({ content: 'PK\u0003\u0004\u0000\u0000 binary data \u0000 and more text here'.repeat(4) });
    await expectRefusal(untitled, /looks binary/);
  });

  test('battery: a file of whitespace only is refused, saying so', async () => {
    const doc = await vscode.workspace.openTextDocument(writeWorkspaceFile('blank.txt', ' \t  \n\n\t \r\n'.repeat(200)));
    await expectRefusal(doc, /blank\.txt\. The file holds only whitespace/);
  });

  test('battery: a 50 MB file is trained on its first lstmLab.data.maxCharacters characters, and says so', async () => {
    const line = 'The quick brown fox jumps over the lazy dog; the five boxing wizards jump quickly. 0123456789\n';
    const size = 50_000_000;
    const text = line.repeat(Math.ceil(size / line.length)).slice(0, size);
    try {
      const doc = await vscode.workspace.openTextDocument(writeWorkspaceFile('huge.txt', text));
      assert.equal(doc.getText().length, size);
      const { snap } = await trainToEnd(doc);
      const limit = lab.api.settings().maxCharacters;
      assert.equal(limit, 2_000_000, 'the default limit');
      await notices.expect('information', /huge\.txt has 50,000,000 characters; training on the first 2,000,000 \(setting lstmLab\.data\.maxCharacters\)/);
      assert.equal(snap.run!.trainTokens + snap.run!.valTokens, limit, 'exactly the first maxCharacters characters are used');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      removeWorkspaceFile('huge.txt');
    }
  });

  test("battery: a file over VS Code's 50 MB limit for extensions is named, with what to do instead", async () => {
    const size = 53 * 1024 * 1024;
    const uri = writeWorkspaceFile('too-large.txt', 'abcdefghij\n'.repeat(Math.ceil(size / 11)));
    try {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      // VS Code shows the file in a tab but gives extensions no document for it.
      await vscode.commands.executeCommand('vscode.open', uri);
      await waitFor('the tab to open', () => vscode.window.tabGroups.activeTabGroup.activeTab?.label === 'too-large.txt' || undefined, 20_000);
      notices.clear();
      assert.equal(await vscode.commands.executeCommand('lstmLab.train'), undefined, 'nothing starts');
      await notices.expect('warning', /too-large\.txt is 53 MB, more than VS Code passes to extensions \(50 MB\)\. Copy a part of it into a new file/);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      removeWorkspaceFile('too-large.txt');
    }
  });

  test('battery: CJK text trains on its characters, and hovers predict them', async () => {
    const lines = ['春眠不觉晓，处处闻啼鸟。', '夜来风雨声，花落知多少。', 'いろはにほへと　ちりぬるを', '다람쥐 헌 쳇바퀴에 타고파'];
    const text = Array.from({ length: 60 }, (_, i) => lines[i % lines.length]).join('\n');
    const doc = await vscode.workspace.openTextDocument(writeWorkspaceFile('cjk.txt', text));
    const { snap } = await trainToEnd(doc);
    assert.equal(snap.run!.vocabSize, expectedCharVocabulary(doc.getText(), 0.1), 'one token per distinct character');
    const at = text.indexOf('风');
    const hover = await hoverText(doc, at);
    assert.match(hover, /LSTM Lab/);
    assert.ok(hover.includes(text[at + 1]), `the hover names the character that follows (${text[at + 1]}):\n${hover}`);
  });

  test('battery: emoji and other astral characters are whole tokens, never split into surrogates', async () => {
    const lines = ['Hello 👋🏽 world 🌍, say 😀😃😄!', 'Math 𝒳 + 𝒴 = 𝒵 and 𝔸𝔹ℂ.', 'Family 👨‍👩‍👧 under the flag 🇯🇵 🎉'];
    const text = Array.from({ length: 60 }, (_, i) => lines[i % lines.length]).join('\n');
    const doc = await vscode.workspace.openTextDocument(writeWorkspaceFile('emoji.txt', text));
    const { snap } = await trainToEnd(doc, { 'train.sampleEvery': 20 });
    const byCodePoint = expectedCharVocabulary(doc.getText(), 0.1);
    assert.notEqual(byCodePoint, new Set(doc.getText().split('')).size + 1, 'the text tells code points from UTF-16 units apart');
    assert.equal(snap.run!.vocabSize, byCodePoint, 'one token per code point');
    assert.ok(snap.sample, 'a sample was generated');
    assert.equal(hasLoneSurrogate(snap.sample), false, `the sample has no half characters: ${JSON.stringify(snap.sample)}`);
    const at = text.indexOf('👋') - 1;
    const hover = await hoverText(doc, at);
    assert.match(hover, /LSTM Lab/);
    assert.ok(hover.includes('👋'), `the hover names the whole emoji that follows:\n${hover}`);
    assert.equal(hasLoneSurrogate(hover), false, 'the hover has no half characters');
  });

  test('battery: CRLF and mixed line endings train on the text exactly as the editor holds it', async () => {
    const lines = ['First line of the file,', 'second line with more words,', 'third and last line.'];
    const crlf = Array.from({ length: 40 }, (_, i) => lines[i % 3]).join('\r\n');
    const doc = await vscode.workspace.openTextDocument(writeWorkspaceFile('crlf.txt', crlf));
    assert.equal(doc.eol, vscode.EndOfLine.CRLF);
    const first = await trainToEnd(doc);
    assert.equal(first.snap.run!.vocabSize, expectedCharVocabulary(doc.getText(), 0.1), 'the vocabulary holds \\r and \\n');
    assert.ok(doc.getText().includes('\r\n'));

    const eols = ['\r\n', '\n', '\n', '\r\n', '\n'];
    const mixed = Array.from({ length: 40 }, (_, i) => lines[i % 3]).reduce((s, l, i) => s + l + eols[i % eols.length], '');
    const mixedDoc = await vscode.workspace.openTextDocument(writeWorkspaceFile('mixed-eol.txt', mixed));
    const second = await trainToEnd(mixedDoc);
    assert.equal(second.snap.run!.vocabSize, expectedCharVocabulary(mixedDoc.getText(), 0.1));
    assert.equal(second.snap.run!.trainTokens + second.snap.run!.valTokens, Array.from(mixedDoc.getText()).length, 'every character of the editor text is used');
    const hover = await hoverText(mixedDoc, mixedDoc.getText().indexOf('second') + 1);
    assert.match(hover, /LSTM Lab/);
  });

  test('battery: every lstmLab setting at an invalid value is named, and its default is used', async () => {
    const invalid: Record<string, unknown> = {
      'train.cell': 'transformer', 'train.layers': 0, 'train.hiddenSize': 'big', 'train.dropout': 1.5, 'train.sequenceLength': 1,
      'train.batchSize': 0, 'train.learningRate': -1, 'train.clipNorm': -5, 'train.optimizer': 'adagrad', 'train.maxSeconds': -1,
      'train.maxSteps': 1.5, 'train.validationFraction': 0.9, 'train.validateEvery': 0, 'train.sampleEvery': -1, 'train.seed': -1,
      'train.tokens': 'byte', 'train.gradientEvery': 'often', 'train.workers': 0, 'train.kernels': 'gpu', 'data.maxCharacters': 10,
      'runs.checkpointEverySeconds': 1, 'runs.keep': 0, 'compare.secondsPerCell': 0, 'hover.enabled': 'yes', 'hover.details': 1, 'hover.topK': 0,
      'generate.length': 0, 'generate.temperature': 0,
      'seq2seq.attention': 'luong', 'seq2seq.bidirectional': 'both', 'seq2seq.hiddenSize': 4, 'seq2seq.beam': 0, 'seq2seq.maxSeconds': 0,
    };
    const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'lstm-lab')!;
    const contributed = ([] as { properties: Record<string, unknown> }[]).concat(ext.packageJSON.contributes.configuration)
      .flatMap((c) => Object.keys(c.properties)).sort();
    assert.deepEqual(Object.keys(invalid).map((k) => `lstmLab.${k}`).sort(), contributed, 'every contributed setting is tried');

    const undo = await useTestSettings(invalid);
    try {
      const settings = lab.api.settings();
      assert.deepEqual(settings.train, DEFAULT_TRAIN_CONFIG, 'training uses the default of every invalid setting');
      assert.deepEqual(
        { maxCharacters: settings.maxCharacters, hover: settings.hover, checkpointEverySeconds: settings.checkpointEverySeconds, keepRuns: settings.keepRuns, compareSeconds: settings.compareSeconds, generate: settings.generate, seq2seq: settings.seq2seq },
        {
          maxCharacters: 2_000_000, hover: { enabled: true, topK: 5, details: false }, checkpointEverySeconds: 60, keepRuns: 30, compareSeconds: 30, generate: { length: 200, temperature: 0.8 },
          seq2seq: { attention: 'dot', bidirectional: false, hiddenSize: 128, beam: 1, maxSeconds: 120 },
        },
      );
      for (const key of contributed) {
        assert.ok(settings.problems.some((p) => p.startsWith(`${key}: `)), `a sentence names ${key}: ${JSON.stringify(settings.problems)}`);
      }

      await openFixture('prose.txt');
      const runId = await vscode.commands.executeCommand<string | undefined>('lstmLab.train', { ifRunning: 'stop' });
      assert.ok(runId, 'training still starts');
      const warning = await notices.expect('warning', /invalid settings were replaced by their defaults/);
      for (const key of contributed) assert.ok(warning.includes(key), `the notification names ${key}: ${warning}`);
      const s = await waitFor('steps', () => { const s = lab.api.snapshot(); return s.train.length > 0 && s; }, 60_000);
      assert.equal(s.run?.runId, runId);
      assert.deepEqual(
        { cell: s.run?.cell, layers: s.run?.layers, hiddenSize: s.run?.hiddenSize, learningRate: s.run?.learningRate },
        { cell: 'lstm', layers: 1, hiddenSize: 128, learningRate: DEFAULT_TRAIN_CONFIG.learningRate },
      );
      await vscode.commands.executeCommand('lstmLab.stop');
      await waitFor('stopped', () => !lab.api.isTraining(), 15_000);
      kept.assertIntact();
    } finally {
      await undo();
    }
  });

  // Last: it resumes the earlier run, which changes it.
  test('battery: a learning rate that blows the loss up ends the run as diverged with a message; the earlier checkpoint still loads', async () => {
    // Adam at 10 without clipping: the loss leaves any sensible range at the second step, long
    // before it would overflow to NaN.
    const undo = await useTestSettings({ 'train.learningRate': 10, 'train.optimizer': 'adam', 'train.clipNorm': 0, 'train.maxSeconds': 20 });
    let runId: string | undefined;
    try {
      await openFixture('prose.txt');
      runId = await vscode.commands.executeCommand<string | undefined>('lstmLab.train', { ifRunning: 'stop' });
      assert.ok(runId);
      await waitFor('the run to end', () => !lab.api.isTraining(), 30_000);
    } finally {
      await undo();
    }
    const snap = lab.api.snapshot();
    assert.equal(snap.status, 'diverged', `status ${snap.status}: ${snap.statusMessage}`);
    assert.match(snap.statusMessage ?? '', /Training stopped at step \d+: .*Try a lower learning rate or turn gradient clipping on\./);
    const shown = await notices.expect('error', /^LSTM Lab: Training stopped at step \d+/);
    assert.match(shown, /NaN|infinite|diverged/);
    await waitFor('the diverged run stored', () => storedRun(lab.api, runId!, 'diverged'), 15_000);
    kept.assertIntact();

    // The earlier checkpoint loads: the earlier run continues from it.
    const before = lab.api.snapshot().runs.find((r) => r.run.runId === kept.runId)!;
    const resumed = await vscode.commands.executeCommand<string | undefined>('lstmLab.resumeRun', kept.runId);
    assert.equal(resumed, kept.runId);
    await waitFor('steps beyond the checkpoint', () => {
      const s = lab.api.snapshot();
      return s.run?.runId === kept.runId && s.train.length > 0 && s.train[s.train.length - 1].step > before.steps + 2;
    }, 30_000);
    await vscode.commands.executeCommand('lstmLab.stop');
    await waitFor('stopped', () => !lab.api.isTraining(), 15_000);
  });
});
