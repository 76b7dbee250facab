import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { openFixture, useLabSuite, useTestSettings, waitFor } from './helpers';

suite('LSTM Lab: generate text at the cursor', () => {
  const lab = useLabSuite();

  test('continues "abcabc…" at the cursor as one edit that one undo removes', async () => {
    const restore = await useTestSettings({ 'generate.length': 30, 'generate.temperature': 0.05 });
    try {
      const editor = await openFixture('abc.txt');
      const original = editor.document.getText();
      const runId = await vscode.commands.executeCommand<string>('lstmLab.compareCells', { cells: ['lstm'], seconds: 8 });
      assert.ok(runId);
      await waitFor('the run to end', () => !lab.api.isTraining(), 30_000);
      // After "…ab" the model has learnt that "c" comes, then "abc" again.
      const at = editor.document.positionAt(original.indexOf('ab', 30) + 2);
      editor.selection = new vscode.Selection(at, at);
      const text = await vscode.commands.executeCommand<string>('lstmLab.generateAtCursor');
      assert.equal(typeof text, 'string');
      assert.equal([...text].length, 30);
      assert.ok(text.startsWith('cab'), `continuation ${JSON.stringify(text)}`);
      const doc = editor.document;
      assert.equal(doc.getText(), original.slice(0, doc.offsetAt(at)) + text + original.slice(doc.offsetAt(at)));
      await vscode.commands.executeCommand('undo');
      assert.equal(doc.getText(), original, 'one undo removes the whole insertion');
      await doc.save();
    } finally {
      await restore();
    }
  });
});
