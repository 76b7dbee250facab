import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { NoticeRecorder } from './faultHelpers';
import { openFixture, useLabSuite, useTestSettings, waitFor } from './helpers';

// The bad input battery (one test per kind of input, each checking the message and that nothing
// is lost) is in badInputBattery.test.ts; these are the cases around it.
suite('LSTM Lab: bad input', () => {
  const lab = useLabSuite();
  let notices: NoticeRecorder;
  suiteSetup(() => { notices = new NoticeRecorder(); });
  suiteTeardown(() => notices?.dispose());
  setup(() => notices.clear());

  test('with no editor open, train says so and starts nothing', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const runId = await vscode.commands.executeCommand<string | undefined>('lstmLab.train');
    assert.equal(runId, undefined);
    assert.equal(lab.api.isTraining(), false);
    await notices.expect('warning', /open a file first/);
  });

  test('a file that cannot be trained on leaves the run in progress going', async () => {
    const undo = await useTestSettings({ 'train.maxSeconds': 4 });
    try {
      await openFixture('abc.txt');
      const runId = await vscode.commands.executeCommand<string>('lstmLab.train', { ifRunning: 'stop' });
      assert.ok(runId);
      await waitFor('steps', () => lab.api.snapshot().train.length > 0);
      await openFixture('empty.txt');
      const refused = await vscode.commands.executeCommand<string | undefined>('lstmLab.train', { ifRunning: 'stop' });
      assert.equal(refused, undefined);
      await notices.expect('error', /empty\.txt\. The file is empty/);
      assert.equal(lab.api.isTraining(), true, 'the run goes on');
      assert.equal(lab.api.snapshot().run?.runId, runId);
      await waitFor('the run to end', () => !lab.api.isTraining(), 30_000);
      assert.equal(lab.api.snapshot().status, 'completed', 'it ran to its end');
    } finally {
      await undo();
    }
  });

  test('a long file is trained on the prefix lstmLab.data.maxCharacters allows, and says so', async () => {
    const undo = await useTestSettings({ 'data.maxCharacters': 20_000 });
    try {
      const big = 'All the world\u2019s a stage, and all the men and women merely players. '.repeat(4000);
      const doc = await vscode.workspace.openTextDocument({ content: big, language: 'plaintext' });
      await vscode.window.showTextDocument(doc);
      const runId = await vscode.commands.executeCommand<string | undefined>('lstmLab.train', { ifRunning: 'stop' });
      assert.ok(runId);
      await notices.expect('information', /has 268,000 characters; training on the first 20,000 \(setting lstmLab\.data\.maxCharacters\)/);
      const s = await waitFor('run info', () => lab.api.snapshot().run ?? undefined);
      assert.equal(s.trainTokens + s.valTokens, 20_000);
      await vscode.commands.executeCommand('lstmLab.stop');
    } finally {
      await undo();
    }
  });
});
