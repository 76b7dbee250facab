import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

suite('LSTM Lab: activation', () => {
  test('contributes its commands', async () => {
    const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'lstm-lab');
    assert.ok(ext, 'the LSTM Lab extension is installed');
    await ext.activate();
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['lstmLab.train', 'lstmLab.stop', 'lstmLab.showPanel', 'lstmLab.compareCells', 'lstmLab.resumeRun']) {
      assert.ok(commands.includes(id), `command ${id} is registered`);
    }
  });
});
