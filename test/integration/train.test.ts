import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { fixture, mean, openFixture, useLabSuite, waitFor } from './helpers';

suite('LSTM Lab: train on a file', () => {
  const lab = useLabSuite();

  test('trains in a worker: steps arrive, the loss falls, hover predicts, stop ends the run, the host stays responsive', async () => {
    const editor = await openFixture('prose.txt');
    // Measure the extension host's event loop while training runs.
    const lags: number[] = [];
    const started = performance.now();
    let last = started;
    const probe = setInterval(() => { const now = performance.now(); lags.push(now - last - 20); last = now; }, 20);
    try {
      const runId = await vscode.commands.executeCommand<string | undefined>('lstmLab.train');
      assert.ok(runId, 'the command returns the run id');
      assert.equal(lab.api.isTraining(), true);
      assert.equal(lab.api.trainedUri(), editor.document.uri.toString());
      const snap = await waitFor('80 training steps', () => { const s = lab.api.snapshot(); return s.train.length >= 80 && s; }, 90_000);
      assert.equal(snap.run?.runId, runId);
      assert.equal(snap.status, 'running');
      const losses = snap.train.map((p) => p.loss);
      const first = mean(losses.slice(0, 10));
      const recent = mean(losses.slice(-10));
      assert.ok(recent < first - 0.3, `loss fell from ${first.toFixed(3)} to ${recent.toFixed(3)}`);
      assert.ok(snap.train.every((p, i) => i === 0 || p.step > snap.train[i - 1].step), 'steps arrive in order');
      assert.ok(snap.charsPerSec > 0);
      // Gradient flow through time arrives with the steps: one norm per lag of the BPTT window.
      const flow = await waitFor('a gradient-flow measurement', () => lab.api.snapshot().gradFlow ?? undefined, 30_000);
      assert.equal(flow.h.length, 32);
      assert.equal(flow.c.length, 32, 'an LSTM reports its cell state too');
      assert.ok(flow.h.every((x) => Number.isFinite(x) && x >= 0) && flow.h[0] > 0);
      assert.equal(lab.api.panelOpen(), true, 'the panel opened beside the editor');

      // The panel's gate heatmap follows the cursor in the trained file.
      const cursor = editor.document.positionAt(editor.document.getText().indexOf('All:', 900) + 2);
      editor.selection = new vscode.Selection(cursor, cursor);
      const at = editor.document.offsetAt(cursor);
      const trace = await waitFor('a gate trace around the cursor', () => {
        const t = lab.api.snapshot().trace;
        return t && t.offsets[0] <= at && t.offsets[t.offsets.length - 1] >= at ? t : undefined;
      }, 20_000);
      assert.ok(trace.tokens.length >= 60, `${trace.tokens.length} tokens traced`);
      assert.equal(trace.layers.length, 1);
      assert.deepEqual(Object.keys(trace.layers[0].values).sort(), ['c', 'candidate', 'forget', 'h', 'input', 'output']);
      assert.equal(trace.layers[0].values.forget.length, trace.tokens.length * 32);
      trace.tokens.forEach((t, i) => {
        const at = editor.document.positionAt(trace.offsets[i]);
        assert.equal(editor.document.getText(new vscode.Range(at, editor.document.positionAt(trace.offsets[i] + t.length))), t, `token ${i} maps back to the document`);
      });

      const pos = editor.document.positionAt(editor.document.getText().indexOf('Citizen') + 3);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, pos);
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.match(text, /LSTM Lab/);
      assert.match(text, /next character after/);
      assert.equal((text.match(/\d+\.\d%/g) ?? []).length, 5, `five predictions in:\n${text}`);
      assert.match(text, /Actual next `` z ``: p = \d+\.\d+%, surprisal \d+\.\d+ bits/);
      assert.match(text, /Gates here \(mean over units\): input 0\.\d\d · forget 0\.\d\d · output 0\.\d\d/);

      await vscode.commands.executeCommand('lstmLab.stop');
      assert.equal(lab.api.isTraining(), false);
      await waitFor('stopped status', () => lab.api.snapshot().status === 'stopped', 10_000);
    } finally {
      clearInterval(probe);
    }
    // A 20 ms timer on a free event loop fires once per 20 ms: at least half of those ticks came.
    const expected = (performance.now() - started) / 20;
    assert.ok(lags.length >= expected / 2, `the event loop kept ticking: ${lags.length} ticks of ${expected.toFixed(0)} expected`);
    lags.sort((a, b) => a - b);
    const p99 = lags[Math.floor(lags.length * 0.99)];
    assert.ok(p99 < 250, `extension host event loop p99 lag ${p99.toFixed(1)} ms`);
  });

  test('hover stays silent on files that were not trained on', async () => {
    const other = await vscode.workspace.openTextDocument({ content: 'some other text', language: 'plaintext' });
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', other.uri, new vscode.Position(0, 2));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.doesNotMatch(text, /LSTM Lab/);
  });

  test('a second training while one runs stops the first when asked to', async () => {
    await openFixture('prose.txt');
    const first = await vscode.commands.executeCommand<string>('lstmLab.train', { ifRunning: 'stop' });
    await waitFor('first steps', () => lab.api.snapshot().train.length > 2);
    await openFixture('abc.txt');
    const second = await vscode.commands.executeCommand<string>('lstmLab.train', { ifRunning: 'stop' });
    assert.ok(second && second !== first);
    assert.equal(lab.api.snapshot().run?.runId, second);
    assert.equal(lab.api.trainedUri(), fixture('abc.txt').toString());
    const kept = await vscode.commands.executeCommand<string | undefined>('lstmLab.train', { ifRunning: 'keep' });
    assert.equal(kept, undefined, 'keeping the current run starts nothing');
    assert.equal(lab.api.snapshot().run?.runId, second);
    await vscode.commands.executeCommand('lstmLab.stop');
  });

  test('closing the panel mid-run and reopening it keeps the data', async () => {
    await openFixture('prose.txt');
    await vscode.commands.executeCommand('lstmLab.train', { ifRunning: 'stop' });
    await waitFor('steps', () => lab.api.snapshot().train.length > 5);
    await vscode.commands.executeCommand('lstmLab.showPanel');
    await waitFor('panel focus', () => lab.api.panelOpen());
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await waitFor('panel closed', () => !lab.api.panelOpen(), 5_000);
    assert.equal(lab.api.isTraining(), true, 'training goes on without the panel');
    const before = lab.api.snapshot().train.length;
    await vscode.commands.executeCommand('lstmLab.showPanel');
    assert.equal(lab.api.panelOpen(), true);
    await waitFor('more steps', () => lab.api.snapshot().train.length > before + 3);
    await vscode.commands.executeCommand('lstmLab.stop');
  });
});
