import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_TRAIN_CONFIG } from '../../src/protocol/runConfig';
import type { Log } from '../../src/log';
import { PanelState } from '../../src/panel/panelState';
import { formOf, type HostToWebview } from '../../src/protocol/webviewProtocol';
import { RunLibrary } from '../../src/runs/runLibrary';
import { checkRecord, RunStore, type RunRecord } from '../../src/runs/runStore';
import { RecordText } from '../../src/runs/recordJson';
import { bestCheckpointPath } from '../../src/shared/checkpointPaths';

function record(runId: string, startedAt: number, over: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 1,
    run: {
      runId, fileName: 'prose.txt', startedAt, cell: 'lstm', layers: 1, hiddenSize: 16, seqLength: 16, batchSize: 4,
      learningRate: 0.002, vocabSize: 30, trainTokens: 900, valTokens: 100,
    },
    config: { ...DEFAULT_TRAIN_CONFIG, hiddenSize: 16 },
    documentUri: 'file:///tmp/prose.txt',
    status: 'completed',
    message: null,
    train: [{ step: 1, loss: 3.4 }, { step: 2, loss: 3.1 }],
    val: [{ step: 2, loss: 3.2 }],
    gradHistory: [{ step: 1, h: [1, 0.5], c: [1, 0.9], clipped: false }],
    sample: 'the cat',
    bestValLoss: 3.2,
    checkpointStep: null,
    updatedAt: startedAt,
    ...over,
  };
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lab-runs-'));
}

test('runs are saved, listed newest first with summaries, read back whole, and deleted with their checkpoint', async () => {
  const dir = path.join(tempDir(), 'runs');
  const store = new RunStore(dir);
  assert.deepEqual(await store.open(), [], 'a missing directory is an empty store');
  await store.save(record('run-a1', 1000));
  await store.save(record('run-b2', 2000, { status: 'stopped', checkpointStep: 2 }));
  assert.deepEqual(store.list().map((s) => s.run.runId), ['run-b2', 'run-a1']);
  const b = store.list()[0];
  assert.equal(b.hasCheckpoint, true);
  assert.equal(b.trainLoss, 3.1);
  assert.equal(b.steps, 2);
  assert.equal(b.status, 'stopped');

  const reopened = new RunStore(dir);
  assert.deepEqual(await reopened.open(), []);
  assert.deepEqual(reopened.list(), store.list());
  assert.deepEqual(await reopened.get('run-a1'), record('run-a1', 1000));

  fs.writeFileSync(reopened.checkpointPath('run-b2'), 'x');
  fs.writeFileSync(bestCheckpointPath(reopened.checkpointPath('run-b2')), 'x');
  await reopened.delete('run-b2');
  assert.equal(reopened.has('run-b2'), false);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['run-a1.json']);
});

test('non-finite losses are dropped on save instead of spoiling the record', async () => {
  const store = new RunStore(tempDir());
  await store.save(record('run-n1', 1, { train: [{ step: 1, loss: 3 }, { step: 2, loss: NaN }] }));
  assert.deepEqual((await store.get('run-n1')).train, [{ step: 1, loss: 3 }]);
});

test('only the newest runs are kept', async () => {
  const dir = tempDir();
  const store = new RunStore(dir, 3);
  for (let i = 1; i <= 5; i++) await store.save(record(`run-k${i}`, i));
  assert.deepEqual(store.list().map((s) => s.run.runId), ['run-k5', 'run-k4', 'run-k3']);
  assert.equal(fs.readdirSync(dir).length, 3);
});

test('corrupted, foreign and mismatched records are skipped with a reason; the rest still load', async () => {
  const dir = tempDir();
  const store = new RunStore(dir);
  await store.save(record('run-ok', 5));
  fs.writeFileSync(path.join(dir, 'run-bad.json'), '{"version":1, "run": ');
  fs.writeFileSync(path.join(dir, 'run-other.json'), JSON.stringify(record('run-elsewhere', 1)));
  fs.writeFileSync(path.join(dir, 'run-v2.json'), JSON.stringify({ ...record('run-v2', 1), version: 2 }));
  fs.writeFileSync(path.join(dir, 'notes.json'), '{}');
  const reopened = new RunStore(dir);
  const problems = await reopened.open();
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems.find((p) => p.includes('run-bad'))!, /JSON/);
  assert.match(problems.find((p) => p.includes('run-other'))!, /does not match its file name/);
  assert.match(problems.find((p) => p.includes('run-v2'))!, /version 2/);
  assert.deepEqual(reopened.list().map((s) => s.run.runId), ['run-ok']);
  await assert.rejects(reopened.get('run-bad'), /cannot be read/);
});

test('a record is checked field by field', () => {
  const good = record('run-x', 1);
  assert.equal(checkRecord(good, 'run-x'), null);
  assert.match(checkRecord({ ...good, config: { ...good.config, cell: 'transformer' } }, 'run-x')!, /configuration is invalid.*cell/);
  assert.match(checkRecord({ ...good, train: [{ step: 1, loss: '3' }] }, 'run-x')!, /loss history/);
  assert.match(checkRecord({ ...good, gradHistory: [{ step: 1, h: 'x', c: [], clipped: false }] }, 'run-x')!, /gradient-flow/);
  assert.match(checkRecord({ ...good, status: 'exploded' }, 'run-x')!, /unknown status/);
  assert.match(checkRecord({ ...good, run: { ...good.run, hiddenSize: 'big' } }, 'run-x')!, /hiddenSize/);
  assert.match(checkRecord([], 'run-x')!, /not a JSON object/);
  assert.match(checkRecord({ ...good, version: 0 }, 'run-x')!, /version 0/);
  assert.throws(() => new RunStore('/tmp').checkpointPath('../etc/passwd'), /not a run id/);
});

test('after a reload the newest run is shown again; one cut short while training is marked stopped and says where it resumes', async () => {
  const dir = tempDir();
  const store = new RunStore(dir);
  await store.save(record('run-old', 1000));
  // Resumed earlier, so started first but written last: it is the newest.
  await store.save(record('run-new', 500, { status: 'running', checkpointStep: 2, updatedAt: 3000 }));
  await store.save(record('run-lost', 800, { status: 'running', updatedAt: 900 }));
  const warnings: string[] = [];
  const log = { info: () => undefined, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) } as unknown as Log;
  const posted: (HostToWebview | null)[] = [];
  const state = new PanelState(formOf(DEFAULT_TRAIN_CONFIG));
  let remembered = ['run-old', 'run-gone'];
  const library = new RunLibrary(new RunStore(dir), state, (m) => posted.push(m), { get: () => remembered, set: (ids) => { remembered = ids; } }, log);
  const shown = await library.open();
  assert.equal(shown?.run.runId, 'run-new');
  const snap = state.snapshot();
  assert.equal(snap.run?.runId, 'run-new');
  assert.equal(snap.status, 'stopped');
  assert.match(snap.statusMessage!, /interrupted.*Resume continues from step 2/);
  assert.deepEqual(snap.train, record('run-new', 500).train, 'the loss history comes back');
  assert.equal(snap.form.hiddenSize, 16, 'the form starts from the run\'s settings');
  assert.deepEqual(snap.selected, ['run-old'], 'a remembered run that is gone is dropped');
  assert.equal(snap.overlays.length, 1);
  assert.equal(snap.overlays[0].runId, 'run-old');
  assert.match(snap.overlays[0].label, /^lstm 1×16 · prose\.txt/);
  assert.equal((await store.get('run-new')).status, 'stopped', 'the record on disk is corrected too');
  assert.equal((await store.get('run-lost')).status, 'stopped', 'every run left running is');
  assert.match((await store.get('run-lost')).message!, /interrupted/);
  assert.ok(posted.some((m) => m?.type === 'snapshot'), 'the panel is told');
  assert.deepEqual(warnings, []);
});

test('the record text grows with the run without serialising earlier points again, and reads back as the record', async () => {
  const text = new RecordText();
  let serialised = 0;
  const point = (step: number, loss: number) => ({ step, loss, seconds: step / 10, toJSON() { serialised++; return { step, loss, seconds: step / 10 }; } });
  const grad = (step: number) => ({ step, h: [0.1, 0.2], c: [], hTotal: [0.3, 0.4], clipped: false });
  let train = Array.from({ length: 500 }, (_, i) => point(i + 1, 2 - i / 1000));
  let gradHistory = [grad(10), grad(20)];
  const r = (over: Partial<RunRecord>) => record('run-grow', 5, { train, gradHistory, ...over });
  const same = (rec: RunRecord) => {
    const expected = JSON.parse(JSON.stringify({ ...rec, train: rec.train.filter((p) => Number.isFinite(p.loss)), val: rec.val.filter((p) => Number.isFinite(p.loss)) })) as unknown;
    assert.deepEqual(JSON.parse(text.of(rec)), expected);
    assert.equal(checkRecord(JSON.parse(text.of(rec)), rec.run.runId), null);
  };
  same(r({}));
  assert.equal(serialised, 1000, 'each point once (and once for the expected text)');
  // The run goes on: only the new points are serialised; a NaN loss is left out as before.
  train = [...train, point(501, 1.5), point(502, Number.NaN), point(503, 1.4)];
  gradHistory = [...gradHistory, grad(30)];
  serialised = 0;
  const grown = r({ status: 'completed', bestValLoss: 1.2 });
  assert.deepEqual(JSON.parse(text.of(grown)).train.length, 502);
  assert.equal(serialised, 2, 'only the two new points with a finite loss');
  same(grown);
  // Thinned (a new array with some of the points): written again from scratch, still right.
  train = train.filter((_, i) => i % 2 === 0);
  same(r({}));
  // Through the store: the file holds the same record.
  const store = new RunStore(tempDir());
  const latest = r({ message: 'done' });
  await store.save(latest, text);
  const back = await store.get('run-grow');
  assert.equal(back.train.length, latest.train.filter((p) => Number.isFinite(p.loss)).length);
  assert.equal(back.message, 'done');
});

test('a run can be named and annotated, stored or shown, and both survive a reload; bad ones are refused', async () => {
  const dir = tempDir();
  const store = new RunStore(dir);
  await store.save(record('run-old', 1000));
  await store.save(record('run-new', 2000));
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Log;
  const posted: (HostToWebview | null)[] = [];
  const state = new PanelState(formOf(DEFAULT_TRAIN_CONFIG));
  const library = new RunLibrary(new RunStore(dir), state, (m) => posted.push(m), { get: () => [], set: () => undefined }, log);
  assert.equal((await library.open())?.run.runId, 'run-new');
  await library.annotate('run-old', 'baseline', 'lr 0.002, before clipping');
  await library.annotate('run-new', 'clipped at 1', null);
  const runs = posted.filter((m): m is Extract<HostToWebview, { type: 'runs' }> => m?.type === 'runs').pop();
  assert.ok(runs, 'the panel hears of the new names');
  assert.deepEqual(runs.runs.map((r) => [r.run.runId, r.name, r.note]).sort(), [['run-new', 'clipped at 1', null], ['run-old', 'baseline', 'lr 0.002, before clipping']]);
  const reopened = new RunStore(dir);
  await reopened.open();
  assert.equal((await reopened.get('run-old')).note, 'lr 0.002, before clipping');
  assert.equal((await reopened.get('run-new')).name, 'clipped at 1', 'the shown run is written with its name');
  assert.equal(reopened.list().find((r) => r.run.runId === 'run-old')?.name, 'baseline');
  assert.match(checkRecord({ ...record('run-x', 1), name: 42 }, 'run-x') ?? '', /name is not text/);
  assert.match(checkRecord({ ...record('run-x', 1), note: 'n'.repeat(2001) }, 'run-x') ?? '', /note is not text of at most 2000/);
  assert.equal(checkRecord(record('run-x', 1), 'run-x'), null, 'a record without either is fine');
});
