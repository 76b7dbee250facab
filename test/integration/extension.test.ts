import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { LabApi } from '../../src/extension';
import { useTestSettings, FAST_SETTINGS, waitFor } from './helpers';

function lab(): vscode.Extension<LabApi> {
  const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'lstm-lab');
  assert.ok(ext, 'the LSTM Lab extension is installed');
  return ext as vscode.Extension<LabApi>;
}

suite('LSTM Lab: activation', () => {
  test('activates by itself once the window has started, cheaply, and contributes its commands', async () => {
    const ext = lab();
    // onStartupFinished: after a reload hovers and the last run answer with the panel closed,
    // without a command. Nothing in this suite has used the extension before this test.
    await waitFor('activation after startup', () => ext.isActive, 60_000);
    const api = ext.exports;
    // A report, not a timing assertion: the machine is shared and timings vary.
    console.log(`activation: ${api.activationMs.toFixed(1)} ms in activate()`);
    assert.ok(Number.isFinite(api.activationMs) && api.activationMs > 0, `activate() reports its duration: ${api.activationMs}`);
    const commands = await vscode.commands.getCommands(true);
    for (const id of (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command)) {
      assert.ok(commands.includes(id), `command ${id} is registered`);
    }
  });
});

suite('LSTM Lab: Open Sample Text', () => {
  let restore: (() => Promise<void>) | undefined;
  suiteSetup(async () => { restore = await useTestSettings(FAST_SETTINGS); });
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('lstmLab.stop');
    await restore?.();
  });

  test('opens an editable copy of the bundled sample, and with { train: true } trains on it', async () => {
    const ext = lab();
    const api = await ext.activate();
    const bundled = vscode.Uri.joinPath(ext.extensionUri, 'samples', 'shakespeare.txt');

    const opened = await vscode.commands.executeCommand<{ uri: string; runId?: string }>('lstmLab.openSample');
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor, 'an editor is active');
    assert.equal(editor.document.uri.toString(), opened.uri);
    assert.equal(opened.runId, undefined, 'without arguments it only opens');
    assert.notEqual(editor.document.uri.toString(), bundled.toString(), 'a copy, not the installed file');
    const samples = vscode.Uri.joinPath(ext.extensionUri, 'samples').fsPath;
    assert.ok(!editor.document.uri.fsPath.startsWith(samples), 'the copy lives outside the installed extension');
    assert.equal(editor.document.getText(), fs.readFileSync(bundled.fsPath, 'utf8'));
    assert.ok(editor.document.lineAt(0).text.startsWith('First Citizen'), editor.document.lineAt(0).text);
    assert.equal(api.isTraining(), false);

    // The copy is the user's: an edit saves, and opening the sample again keeps it.
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), 'MY NOTE\n'));
    assert.ok(await editor.document.save(), 'the copy can be saved');
    const again = await vscode.commands.executeCommand<{ uri: string; runId?: string }>('lstmLab.openSample', { train: true });
    assert.equal(again.uri, opened.uri);
    assert.ok(again.runId, 'with { train: true } a run starts');
    assert.equal(api.isTraining(), true);
    assert.equal(api.trainedUri(), opened.uri);
    assert.equal(vscode.window.activeTextEditor?.document.lineAt(0).text, 'MY NOTE');
    await waitFor('a training step on the sample', () => api.snapshot().train.length > 0, 90_000);
    assert.equal(api.panelOpen(), true, 'the panel opened');
    await vscode.commands.executeCommand('lstmLab.stop');
    await waitFor('the run to stop', () => !api.isTraining(), 30_000);

    // Leave the copy as it came, for whoever opens it next.
    const doc = vscode.window.activeTextEditor!.document;
    await vscode.window.activeTextEditor!.edit((b) => b.delete(new vscode.Range(0, 0, 1, 0)));
    await doc.save();
  });
});
