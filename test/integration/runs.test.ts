import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { openFixture, useLabSuite, waitFor } from './helpers';

suite('LSTM Lab: runs', () => {
  const lab = useLabSuite();

  test('Compare Cell Types trains each cell with the same budget and seed, keeps both runs with checkpoints, and overlays the other on the shown one', async () => {
    await openFixture('prose.txt');
    const runIds = await vscode.commands.executeCommand<string[]>('lstmLab.compareCells', { cells: ['rnn', 'gru'], seconds: 4 });
    assert.equal(runIds.length, 2, 'two runs');
    const snap = lab.api.snapshot();
    assert.equal(snap.run?.runId, runIds[1], 'the last run trained is shown');
    assert.equal(snap.run?.cell, 'gru');
    const stored = await waitFor('both runs stored with checkpoints', () => {
      const runs = lab.api.snapshot().runs.filter((r) => runIds.includes(r.run.runId));
      return runs.length === 2 && runs.every((r) => r.hasCheckpoint && r.status === 'completed' && r.steps > 0) ? runs : undefined;
    }, 20_000);
    assert.deepEqual(stored.map((r) => r.run.cell).sort(), ['gru', 'rnn']);
    assert.deepEqual([...lab.api.snapshot().selected].sort(), [...runIds].sort(), 'both runs are picked for comparison');
    const overlays = await waitFor('the RNN drawn over the GRU', () => {
      const o = lab.api.snapshot().overlays;
      return o.length === 1 && o[0].train.length > 0 ? o : undefined;
    }, 10_000);
    assert.equal(overlays[0].runId, runIds[0]);
    assert.match(overlays[0].label, /^rnn 1×32 · prose\.txt/);
    assert.ok(overlays[0].gradFlow && overlays[0].gradFlow.h.length > 0, 'the overlay brings its gradient flow');
  });

  test('Stop Training during a comparison ends the comparison, not just its current cell', async () => {
    await openFixture('prose.txt');
    const comparing = vscode.commands.executeCommand<string[]>('lstmLab.compareCells', { cells: ['rnn', 'gru', 'lstm'], seconds: 60 });
    await waitFor('the first cell training', () => lab.api.isTraining() && lab.api.snapshot().train.length > 0, 60_000);
    await vscode.commands.executeCommand('lstmLab.stop');
    const runIds = await comparing;
    assert.equal(runIds.length, 1, `one run, the one stopped: ${runIds.join(', ')}`);
    assert.equal(lab.api.isTraining(), false, 'no other cell started');
  });

  test('Resume Run continues a stored run from its checkpoint: same run, steps counted on', async () => {
    await openFixture('prose.txt');
    const [first] = await vscode.commands.executeCommand<string[]>('lstmLab.compareCells', { cells: ['lstm'], seconds: 3 });
    const before = await waitFor('a checkpoint', () => lab.api.snapshot().runs.find((r) => r.run.runId === first && r.hasCheckpoint && r.status === 'completed'), 20_000);
    const runId = await vscode.commands.executeCommand<string>('lstmLab.resumeRun', first);
    assert.equal(runId, first, 'the run goes on under its own id');
    await waitFor('steps beyond the checkpoint', () => {
      const s = lab.api.snapshot();
      return s.run?.runId === first && s.train.length > before.steps + 3;
    }, 60_000);
    const s = lab.api.snapshot();
    assert.equal(s.train[0].step, 1, 'the earlier history is kept');
    assert.ok(s.train.every((p, i) => i === 0 || p.step > s.train[i - 1].step), 'steps count on without a restart');
    await vscode.commands.executeCommand('lstmLab.stop');
    await waitFor('stopped', () => !lab.api.isTraining(), 15_000);
  });
});
