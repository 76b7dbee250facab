/**
 * Every run of a workspace, kept on disk: one JSON record per run (configuration, metrics,
 * gradient flow, status) and, beside it, the run's checkpoint. Records are data: each one read is
 * checked field by field, and one that does not pass is skipped and reported, never trusted.
 * No `vscode` import.
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../shared/atomicFile';
import { RecordText } from './recordJson';
import { isObject } from '../protocol/messages';
import type { GradFlow, LossPoint, RunInfo, RunStatus, RunSummary } from '../protocol/webviewProtocol';
import { bestCheckpointPath } from '../shared/checkpointPaths';
import { validateTrainConfig, type TrainConfig } from '../protocol/runConfig';

export const RUN_RECORD_VERSION = 1;

/** Run ids are made by the host as `run-<base36 time>`; anything else is not a run of ours. */
export const RUN_ID_PATTERN = /^run-[a-z0-9]{1,16}$/;

/** Records larger than this are not read (a record of a long run is a few MB). */
const MAX_RECORD_BYTES = 32 * 1024 * 1024;

export interface RunRecord {
  version: typeof RUN_RECORD_VERSION;
  run: RunInfo;
  config: TrainConfig;
  /** The document trained on, as a URI string. */
  documentUri: string;
  status: RunStatus;
  message: string | null;
  train: LossPoint[];
  val: LossPoint[];
  gradHistory: GradFlow[];
  sample: string | null;
  bestValLoss: number | null;
  /** Step of the checkpoint beside the record, or null when none was written. */
  checkpointStep: number | null;
  updatedAt: number;
  /** The user's name for the run and their note on it (records before these had neither). */
  name?: string | null;
  note?: string | null;
}

/** Longest run name and note kept. */
export const MAX_RUN_NAME = 80;
export const MAX_RUN_NOTE = 2000;

export function summarize(r: RunRecord): RunSummary {
  return {
    run: r.run,
    status: r.status,
    message: r.message,
    trainLoss: r.train[r.train.length - 1]?.loss ?? null,
    bestValLoss: r.bestValLoss,
    steps: r.train[r.train.length - 1]?.step ?? 0,
    hasCheckpoint: r.checkpointStep !== null,
    name: r.name ?? null,
    note: r.note ?? null,
    config: r.config,
  };
}

export class RunStore {
  /** Summaries of every readable record, newest first, once `open` has run. */
  private summaries = new Map<string, RunSummary>();
  /** When each record was last written: a resumed run is newer than its start says. */
  private updated = new Map<string, number>();

  constructor(readonly dir: string, private readonly keep = 30) {}

  /** Reads the summaries of the stored runs; returns a sentence per record that was skipped. */
  async open(): Promise<string[]> {
    const problems: string[] = [];
    let names: string[] = [];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`Stored runs could not be listed: ${(e as Error).message}`);
    }
    for (const name of names) {
      const runId = name.slice(0, -'.json'.length);
      if (!RUN_ID_PATTERN.test(runId)) continue;
      const r = await this.read(runId);
      if (r.ok) this.remember(r.record);
      else problems.push(`Stored run ${runId} was skipped: ${r.reason}`);
    }
    return problems;
  }

  /** Stored runs, the most recently written first. */
  list(): RunSummary[] {
    const at = (s: RunSummary) => this.updated.get(s.run.runId) ?? s.run.startedAt;
    return [...this.summaries.values()].sort((a, b) => at(b) - at(a) || b.run.startedAt - a.run.startedAt);
  }

  private remember(r: RunRecord): void {
    this.summaries.set(r.run.runId, summarize(r));
    this.updated.set(r.run.runId, r.updatedAt);
  }

  has(runId: string): boolean {
    return this.summaries.has(runId);
  }

  checkpointPath(runId: string): string {
    if (!RUN_ID_PATTERN.test(runId)) throw new Error(`not a run id: ${runId}`);
    return join(this.dir, `${runId}.ckpt`);
  }

  async get(runId: string): Promise<RunRecord> {
    const r = await this.read(runId);
    if (!r.ok) throw new Error(`stored run ${runId} cannot be read: ${r.reason}`);
    return r.record;
  }

  /**
   * Writes a record atomically, then drops the oldest runs beyond the number kept. `text` keeps
   * the JSON of a record that is written again and again (the shown run's) from one write to the
   * next.
   */
  async save(record: RunRecord, text: RecordText = new RecordText()): Promise<void> {
    const runId = record.run.runId;
    if (!RUN_ID_PATTERN.test(runId)) throw new Error(`not a run id: ${runId}`);
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, `${runId}.json`), new TextEncoder().encode(text.of(record)));
    this.remember(record);
    await this.prune(runId);
  }

  async delete(runId: string): Promise<void> {
    if (!RUN_ID_PATTERN.test(runId)) return;
    this.summaries.delete(runId);
    this.updated.delete(runId);
    await rm(join(this.dir, `${runId}.json`), { force: true });
    await rm(join(this.dir, `${runId}.ckpt`), { force: true });
    await rm(bestCheckpointPath(join(this.dir, `${runId}.ckpt`)), { force: true });
  }

  private async prune(current: string): Promise<void> {
    const old = this.list().slice(this.keep).filter((s) => s.run.runId !== current);
    for (const s of old) await this.delete(s.run.runId);
  }

  private async read(runId: string): Promise<{ ok: true; record: RunRecord } | { ok: false; reason: string }> {
    const file = join(this.dir, `${runId}.json`);
    try {
      const { size } = await stat(file);
      if (size > MAX_RECORD_BYTES) return { ok: false, reason: `the record is ${size} bytes, more than ${MAX_RECORD_BYTES}` };
      const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
      const why = checkRecord(parsed, runId);
      return why === null ? { ok: true, record: parsed as RunRecord } : { ok: false, reason: why };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  }
}

const STATUSES: readonly RunStatus[] = ['running', 'completed', 'stopped', 'diverged', 'failed'];

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isLossPoints(v: unknown): v is LossPoint[] {
  return Array.isArray(v) && v.every((p) => isObject(p) && isFiniteNumber(p.step) && typeof p.loss === 'number');
}

function isNumbers(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}

function isGradFlows(v: unknown): v is GradFlow[] {
  return Array.isArray(v) && v.every((g) => isObject(g) && isFiniteNumber(g.step) && isNumbers(g.h) && isNumbers(g.c) && typeof g.clipped === 'boolean');
}

const RUN_INFO_NUMBERS = ['startedAt', 'layers', 'hiddenSize', 'seqLength', 'batchSize', 'learningRate', 'vocabSize', 'trainTokens', 'valTokens'] as const;

/** Null when `v` is a well-formed record of run `runId`, otherwise what is wrong with it. */
export function checkRecord(v: unknown, runId: string): string | null {
  if (!isObject(v)) return 'not a JSON object';
  if (v.version !== RUN_RECORD_VERSION) return `record version ${JSON.stringify(v.version)}, expected ${RUN_RECORD_VERSION}`;
  const run = v.run;
  if (!isObject(run) || run.runId !== runId) return 'its run id does not match its file name';
  if (typeof run.fileName !== 'string' || typeof run.cell !== 'string') return 'its run information is incomplete';
  for (const k of RUN_INFO_NUMBERS) if (!isFiniteNumber(run[k])) return `its run information has no number "${k}"`;
  if (!isObject(v.config)) return 'it has no configuration';
  const { problems } = validateTrainConfig(v.config as Partial<Record<keyof TrainConfig, unknown>>);
  const invalid = problems.filter((p) => !p.includes('both 0'));
  if (invalid.length > 0) return `its configuration is invalid: ${invalid[0]}`;
  if (typeof v.documentUri !== 'string') return 'it does not say which document it trained on';
  if (!STATUSES.includes(v.status as RunStatus)) return `unknown status ${JSON.stringify(v.status)}`;
  if (v.message !== null && typeof v.message !== 'string') return 'its message is not text';
  if (!isLossPoints(v.train) || !isLossPoints(v.val)) return 'its loss history is malformed';
  if (!isGradFlows(v.gradHistory)) return 'its gradient-flow history is malformed';
  if (v.sample !== null && typeof v.sample !== 'string') return 'its sample is not text';
  if (v.bestValLoss !== null && !isFiniteNumber(v.bestValLoss)) return 'its best validation loss is not a number';
  if (v.checkpointStep !== null && !isFiniteNumber(v.checkpointStep)) return 'its checkpoint step is not a number';
  if (!isFiniteNumber(v.updatedAt)) return 'it has no update time';
  if (v.name !== undefined && v.name !== null && (typeof v.name !== 'string' || v.name.length > MAX_RUN_NAME)) return `its name is not text of at most ${MAX_RUN_NAME} characters`;
  if (v.note !== undefined && v.note !== null && (typeof v.note !== 'string' || v.note.length > MAX_RUN_NOTE)) return `its note is not text of at most ${MAX_RUN_NOTE} characters`;
  return null;
}
