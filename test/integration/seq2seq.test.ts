import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { useLabSuite, useTestSettings, waitFor } from './helpers';

suite('LSTM Lab: sequence to sequence in the editor', () => {
  const lab = useLabSuite();

  test('Compare With and Without Attention trains the file twice and draws the first beside the second; the kept model hovers and continues', async () => {
    const restore = await useTestSettings({ 'seq2seq.maxSeconds': 5, 'seq2seq.hiddenSize': 32, 'seq2seq.attention': 'dot' });
    try {
      const doc = await vscode.commands.executeCommand<vscode.TextDocument>('lstmLab.newSeq2SeqSample', 'reverse');
      assert.ok(doc && vscode.window.activeTextEditor?.document === doc);
      await vscode.commands.executeCommand('lstmLab.compareSeq2SeqAttention');
      assert.equal(lab.api.isSeq2SeqTraining(), false);
      const view = lab.api.seq2seq();
      assert.ok(view, 'the card has a run');
      assert.equal(view.status, 'completed');
      assert.match(view.summary, /attention dot/);
      assert.deepEqual(view.compare.map((c) => c.label), ['lstm 1×32, attention none'], 'the run without attention is drawn beside');
      assert.equal(view.hasModel, true);
      const mine = view.runs.filter((r) => r.fileName === view.fileName).slice(0, 2);
      assert.deepEqual(mine.map((r) => [r.shown, r.compared, r.hasModel]), [[true, false, true], [false, true, true]]);

      // The kept model answers a hover on a source line.
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(0, 1));
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
      assert.match(text, /the model \(step \d+\) writes/);

      // Continue: the kept model trains on from its step, its curve after the first run's.
      const before = view.evals.length;
      const lastStep = view.evals[before - 1].step;
      const runId = await vscode.commands.executeCommand<string>('lstmLab.continueSeq2Seq');
      assert.ok(runId);
      await waitFor('the continued run to end', () => !lab.api.isSeq2SeqTraining(), 60_000);
      const after = lab.api.seq2seq()!;
      assert.equal(after.runId, runId);
      assert.match(after.summary, new RegExp(`continued from step ${lastStep}\\b`));
      assert.ok(after.evals.length > before && after.evals[before].step > lastStep, JSON.stringify(after.evals.map((e) => e.step)));
      assert.ok(after.evals.every((e, i) => i === 0 || e.seconds >= after.evals[i - 1].seconds), 'seconds go on');
    } finally {
      await vscode.commands.executeCommand('lstmLab.stopSeq2Seq');
      await restore();
    }
  });
});
