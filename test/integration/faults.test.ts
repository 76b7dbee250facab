import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { decodeCheckpoint } from '../../src/engine/checkpointReader';
import { hoverText, NoticeRecorder, removeWorkspaceFile, storedRun, writeWorkspaceFile } from './faultHelpers';
import { fixture, openFixture, useLabSuite, useTestSettings, waitFor } from './helpers';

suite('LSTM Lab: faults', () => {
  const lab = useLabSuite();
  let notices: NoticeRecorder;
  suiteSetup(() => { notices = new NoticeRecorder(); });
  suiteTeardown(() => notices?.dispose());
  setup(() => notices.clear());

  test('fault: the engine worker killed mid-run — the user is told, the run is stored as failed, its checkpoint loads, new runs start', async () => {
    const undo = await useTestSettings({ 'runs.checkpointEverySeconds': 5 });
    let runId: string | undefined;
    try {
      const prose = (await openFixture('prose.txt')).document;
      runId = await vscode.commands.executeCommand<string>('lstmLab.train', { ifRunning: 'stop' });
      assert.ok(runId);
      await waitFor('a checkpoint written mid-run', () => storedRun(lab.api, runId!, 'running', true), 30_000);
      const stepsBefore = lab.api.snapshot().train.length;
      await lab.api.killWorker();

      const told = await notices.expect('error', /engine worker exited.*The run on prose\.txt is marked failed; you can start a new one\./);
      assert.ok(told);
      assert.equal(lab.api.isTraining(), false);
      assert.equal(lab.api.snapshot().status, 'failed');
      await waitFor('the run stored as failed, with its checkpoint', () => storedRun(lab.api, runId!, 'failed', true), 15_000);

      // The last checkpoint is whole, and the engine loads it again: hovers answer from it.
      const ckpt = decodeCheckpoint(new Uint8Array(fs.readFileSync(lab.api.checkpointPath(runId))));
      const ckptStep = ckpt.config.step;
      assert.ok(typeof ckptStep === 'number' && ckptStep > 0 && ckptStep <= stepsBefore + 50, `checkpoint at step ${ckptStep}`);
      assert.match(await hoverText(prose, prose.getText().indexOf('Citizen') + 3), /LSTM Lab/, 'the model answers hovers after the crash');

      // The failed run resumes from that checkpoint.
      const resumed = await vscode.commands.executeCommand<string>('lstmLab.resumeRun', runId);
      assert.equal(resumed, runId);
      await waitFor('steps beyond the checkpoint', () => {
        const s = lab.api.snapshot();
        return s.status === 'running' && s.train.length > 0 && s.train[s.train.length - 1].step > ckptStep + 2;
      }, 30_000);
      const s = lab.api.snapshot();
      assert.ok(s.train.every((p, i) => i === 0 || p.step > s.train[i - 1].step), 'steps count on from the checkpoint');
      await vscode.commands.executeCommand('lstmLab.stop');

      // And a new run starts.
      await openFixture('abc.txt');
      const fresh = await vscode.commands.executeCommand<string>('lstmLab.train', { ifRunning: 'stop' });
      assert.ok(fresh && fresh !== runId);
      await waitFor('steps of the new run', () => lab.api.snapshot().run?.runId === fresh && lab.api.snapshot().train.length > 3, 30_000);
      await vscode.commands.executeCommand('lstmLab.stop');
      await waitFor('stopped', () => !lab.api.isTraining(), 15_000);
    } finally {
      await undo();
    }
  });

  test('fault: the panel closed and reopened mid-run — the run goes on and the panel gets all its steps back', async () => {
    await openFixture('prose.txt');
    const runId = await vscode.commands.executeCommand<string>('lstmLab.train', { ifRunning: 'stop' });
    await waitFor('steps', () => lab.api.snapshot().train.length > 5);
    await vscode.commands.executeCommand('lstmLab.showPanel');
    await waitFor('panel open', () => lab.api.panelOpen());
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await waitFor('panel closed', () => !lab.api.panelOpen(), 5_000);
    const whileClosed = lab.api.snapshot().train;
    await waitFor('steps while the panel is closed', () => lab.api.snapshot().train.length > whileClosed.length + 10, 30_000);
    await vscode.commands.executeCommand('lstmLab.showPanel');
    assert.equal(lab.api.panelOpen(), true);
    const s = lab.api.snapshot();
    assert.equal(s.run?.runId, runId);
    assert.equal(s.status, 'running');
    assert.deepEqual(s.train.slice(0, whileClosed.length), whileClosed, 'the steps from before are all there');
    assert.equal(s.train[0].step, 1);
    assert.ok(s.train.every((p, i) => i === 0 || p.step === s.train[i - 1].step + 1), 'no step is missing');
    await vscode.commands.executeCommand('lstmLab.stop');
    await waitFor('stopped', () => !lab.api.isTraining(), 15_000);
  });

  test('fault: the document edited, then closed, mid-run — training goes on with the text it started with and completes', async () => {
    const undo = await useTestSettings({ 'train.maxSeconds': 5 });
    try {
      writeWorkspaceFile('edited.txt', fs.readFileSync(fixture('prose.txt').fsPath));
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(fixture('edited.txt')), vscode.ViewColumn.One);
      const runId = await vscode.commands.executeCommand<string>('lstmLab.train', { ifRunning: 'stop' });
      assert.ok(runId);
      const started = await waitFor('steps', () => { const s = lab.api.snapshot(); return s.train.length > 3 && s; });
      // Most of the text replaced by something else entirely.
      const doc = editor.document;
      assert.ok(await editor.edit((b) => b.replace(new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length - 10)), 'ÄÖÜ ßẞ 12345\n'.repeat(3))));
      const afterEdit = lab.api.snapshot().train.length;
      await waitFor('steps after the edit', () => lab.api.snapshot().train.length > afterEdit + 5, 30_000);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === doc.uri.toString() && !d.isClosed && vscode.window.visibleTextEditors.some((e) => e.document === d)), 'the editor is closed');
      await waitFor('the run to end', () => !lab.api.isTraining(), 30_000);
      const s = lab.api.snapshot();
      assert.equal(s.run?.runId, runId);
      assert.equal(s.status, 'completed', `the run completed: ${s.statusMessage}`);
      assert.ok(s.train.length > afterEdit + 5);
      assert.deepEqual({ train: s.run?.trainTokens, val: s.run?.valTokens, vocab: s.run?.vocabSize },
        { train: started.run?.trainTokens, val: started.run?.valTokens, vocab: started.run?.vocabSize }, 'the same data throughout');
      await waitFor('the run stored as completed with its checkpoint', () => storedRun(lab.api, runId, 'completed', true), 15_000);
      assert.deepEqual(notices.all.filter((n) => n.level === 'error'), [], 'no error was shown');
    } finally {
      await undo();
      removeWorkspaceFile('edited.txt');
    }
  });
});
