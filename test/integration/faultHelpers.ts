import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { decodeCheckpoint } from '../../src/engine/checkpointReader';
import type { LabApi } from '../../src/extension';
import type { RunStatus, RunSummary } from '../../src/protocol/webviewProtocol';
import { fixture, openFixture, waitFor } from './helpers';

export type NoticeLevel = 'error' | 'warning' | 'information';

export interface Notice {
  level: NoticeLevel;
  text: string;
}

const SHOW: Record<NoticeLevel, 'showErrorMessage' | 'showWarningMessage' | 'showInformationMessage'> = {
  error: 'showErrorMessage',
  warning: 'showWarningMessage',
  information: 'showInformationMessage',
};

/**
 * Records the notifications the extension shows (it shares this `vscode` API object with the
 * suites), still showing them. `dispose` puts the originals back.
 */
export class NoticeRecorder implements vscode.Disposable {
  private readonly seen: Notice[] = [];
  private readonly originals = new Map<NoticeLevel, (...args: unknown[]) => unknown>();

  constructor() {
    const window = vscode.window as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const level of Object.keys(SHOW) as NoticeLevel[]) {
      const name = SHOW[level];
      const original = window[name];
      this.originals.set(level, original);
      window[name] = (...args: unknown[]) => {
        this.seen.push({ level, text: String(args[0]) });
        return original.apply(vscode.window, args);
      };
      if (window[name] === original) throw new Error(`vscode.window.${name} cannot be replaced, so notifications cannot be checked`);
    }
  }

  /** Everything recorded so far. */
  get all(): readonly Notice[] {
    return this.seen;
  }

  /** Forgets what was recorded (between the steps of a test). */
  clear(): void {
    this.seen.length = 0;
  }

  /** Waits for a notification of `level` whose text matches `pattern`, and returns its text. */
  async expect(level: NoticeLevel, pattern: RegExp, ms = 10_000): Promise<string> {
    try {
      return await waitFor(`a ${level} notification matching ${pattern}`, () => this.seen.find((n) => n.level === level && pattern.test(n.text))?.text, ms);
    } catch (e) {
      throw new Error(`${(e as Error).message}; notifications seen: ${JSON.stringify(this.seen)}`);
    }
  }

  dispose(): void {
    const window = vscode.window as unknown as Record<string, unknown>;
    for (const [level, original] of this.originals) window[SHOW[level]] = original;
    this.originals.clear();
  }
}

/** Writes a file into the test workspace (a scratch copy, thrown away after the run). */
export function writeWorkspaceFile(name: string, content: string | Uint8Array): vscode.Uri {
  const uri = fixture(name);
  fs.writeFileSync(uri.fsPath, content);
  return uri;
}

export function removeWorkspaceFile(name: string): void {
  fs.rmSync(fixture(name).fsPath, { force: true });
}

/**
 * A completed run with a checkpoint, trained before the bad input or the fault, and what its
 * checkpoint held then: whatever happens afterwards must leave both as they were.
 */
export class KeptRun {
  private constructor(private readonly api: LabApi, readonly runId: string, private readonly checkpoint: Buffer) {}

  /** Trains `fileName` briefly (a one-cell comparison) and waits until its record and checkpoint are stored. */
  static async train(api: LabApi, fileName: string, seconds = 3): Promise<KeptRun> {
    await openFixture(fileName);
    const [runId] = await vscode.commands.executeCommand<string[]>('lstmLab.compareCells', { cells: ['lstm'], seconds });
    assert.ok(runId, 'the comparison trained a run');
    await waitFor('the run stored as completed with a checkpoint', () => storedRun(api, runId, 'completed', true), 30_000);
    return new KeptRun(api, runId, fs.readFileSync(api.checkpointPath(runId)));
  }

  /** The run is still stored as completed, and its checkpoint is byte for byte the same and loads. */
  assertIntact(): void {
    const summary = this.api.snapshot().runs.find((r) => r.run.runId === this.runId);
    assert.ok(summary, `the earlier run ${this.runId} is still in the run list`);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.hasCheckpoint, true);
    const bytes = fs.readFileSync(this.api.checkpointPath(this.runId));
    assert.ok(bytes.equals(this.checkpoint), 'the earlier checkpoint is unchanged');
    const decoded = decodeCheckpoint(new Uint8Array(bytes));
    assert.ok(decoded.weights.length > 0 && decoded.metrics.train.length > 0, 'the earlier checkpoint decodes');
  }
}

/** The stored summary of `runId` when it has `status` (and a checkpoint, when asked). */
export function storedRun(api: LabApi, runId: string, status: RunStatus, withCheckpoint = false): RunSummary | undefined {
  const s = api.snapshot().runs.find((r) => r.run.runId === runId);
  return s && s.status === status && (!withCheckpoint || s.hasCheckpoint) ? s : undefined;
}

/** The hover text LSTM Lab gives at `offset` of `doc`. */
export async function hoverText(doc: vscode.TextDocument, offset: number): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(offset));
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

/** Distinct code points in the part of `text` a run trains on (the held-out tail excluded), plus the unknown token. */
export function expectedCharVocabulary(text: string, valFraction: number): number {
  let end = Math.ceil(text.length * (1 - valFraction));
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end += 1;
  return new Set(Array.from(text.slice(0, end))).size + 1;
}

/** True when `text` holds a surrogate that is not part of a pair. */
export function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}
