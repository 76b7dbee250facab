import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { openFixture, useLabSuite, useTestSettings, waitFor } from './helpers';

suite('LSTM Lab: bad input', () => {
  const lab = useLabSuite();

  test('text with NUL bytes (binary) is refused without starting a run', async () => {
    const doc = await vscode.workspace.openTextDocument({ content: 'PK\u0003\u0004\u0000\u0000 binary data \u0000 and more text here'.repeat(4) });
    await vscode.window.showTextDocument(doc);
    const runId = await vscode.commands.executeCommand<string | undefined>('lstmLab.train');
    assert.equal(runId, undefined);
    assert.equal(lab.api.isTraining(), false);
  });

  for (const name of ['empty.txt', 'one-char.txt']) {
    test(`${name} is refused without starting a run`, async () => {
      await openFixture(name);
      const runId = await vscode.commands.executeCommand<string | undefined>('lstmLab.train');
      assert.equal(runId, undefined);
      assert.equal(lab.api.isTraining(), false);
    });
  }

  test('with no editor open, train says so and starts nothing', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const runId = await vscode.commands.executeCommand<string | undefined>('lstmLab.train');
    assert.equal(runId, undefined);
    assert.equal(lab.api.isTraining(), false);
  });

  test('invalid settings fall back to defaults and training still runs', async () => {
    const undo = await useTestSettings({ 'train.learningRate': -1, 'train.hiddenSize': 'big', 'train.batchSize': 0 });
    try {
      await openFixture('abc.txt');
      const runId = await vscode.commands.executeCommand<string | undefined>('lstmLab.train', { ifRunning: 'stop' });
      assert.ok(runId);
      const s = await waitFor('steps', () => { const s = lab.api.snapshot(); return s.train.length > 0 && s; });
      assert.equal(s.run?.hiddenSize, 128, 'the default hidden size replaced "big"');
      assert.equal(s.run?.learningRate, 0.002);
      await vscode.commands.executeCommand('lstmLab.stop');
    } finally {
      await undo();
    }
  });

  test('a huge file is trained on a bounded prefix', async () => {
    const undo = await useTestSettings({ 'data.maxCharacters': 20_000 });
    try {
      const big = 'All the world\u2019s a stage, and all the men and women merely players. '.repeat(4000);
      const doc = await vscode.workspace.openTextDocument({ content: big, language: 'plaintext' });
      await vscode.window.showTextDocument(doc);
      const runId = await vscode.commands.executeCommand<string | undefined>('lstmLab.train', { ifRunning: 'stop' });
      assert.ok(runId);
      const s = await waitFor('run info', () => lab.api.snapshot().run ?? undefined);
      assert.ok(s.trainTokens + s.valTokens <= 20_000, `${s.trainTokens + s.valTokens} tokens`);
      await vscode.commands.executeCommand('lstmLab.stop');
    } finally {
      await undo();
    }
  });
});
