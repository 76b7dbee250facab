/**
 * Finished sequence-to-sequence runs, kept in the workspace's state (so they outlive a reload)
 * with each run's model as a checkpoint file beside the language-model runs; the oldest go, with
 * their files, when more than MAX_STORED are kept.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../protocol/messages';
import type { Seq2SeqRunOptions } from '../protocol/seq2seqMessages';
import type { Loaded } from './seq2seqThread';
import { MAX_SEQ2SEQ_COMPARED, type Seq2SeqRunRow } from '../protocol/seq2seqPanel';
import type { Seq2SeqView } from '../protocol/webviewProtocol';

const HISTORY_KEY = 'lstmLab.seq2seqRuns';
/** The runs the user ticked to draw beside the shown one (absent: the latest on its file). */
const SELECTED_KEY = 'lstmLab.seq2seqCompared';
const MAX_STORED = 8;
/** How many other runs the card draws beside the shown one. */
const MAX_COMPARED = MAX_SEQ2SEQ_COMPARED;

export interface StoredSeq2Seq extends Seq2SeqView {
  /** How the run list and the card's legend name it. */
  label: string;
  /** The document it trained on (hovers decode its lines). */
  uri: string;
  /** Its model, or null (a run kept from before models were kept, or one whose save failed). */
  checkpoint: string | null;
  /** What it trained with (a continued run starts from them); null when unknown. */
  options: Seq2SeqRunOptions | null;
}

export class Seq2SeqRuns {
  private runs: StoredSeq2Seq[];
  private selected: string[] | null;

  constructor(private readonly memory: vscode.Memento, readonly dir: string) {
    this.runs = storedRuns(memory.get<unknown>(HISTORY_KEY));
    const selected = memory.get<unknown>(SELECTED_KEY);
    this.selected = Array.isArray(selected) ? selected.filter((id): id is string => typeof id === 'string' && this.get(id) !== undefined) : null;
  }

  /** Oldest first. */
  get all(): readonly StoredSeq2Seq[] {
    return this.runs;
  }

  get last(): StoredSeq2Seq | undefined {
    return this.runs[this.runs.length - 1];
  }

  get(runId: string): StoredSeq2Seq | undefined {
    return this.runs.find((r) => r.runId === runId);
  }

  /** Where run `runId` keeps its model. */
  checkpointPath(runId: string): string {
    return path.join(this.dir, `${runId}.ckpt`);
  }

  /** Keeps (or replaces) a run; the oldest beyond the limit go, with their checkpoints. */
  async keep(run: StoredSeq2Seq): Promise<void> {
    const runs = [...this.runs.filter((r) => r.runId !== run.runId), { ...run, compare: [], focus: null, runs: [] }];
    const dropped = runs.slice(0, Math.max(0, runs.length - MAX_STORED));
    this.runs = runs.slice(-MAX_STORED);
    await this.memory.update(HISTORY_KEY, this.runs);
    await Promise.all(dropped.map((r) => removeFile(r.checkpoint)));
  }

  /**
   * A checkpoint file copied in as a kept run, once `load` (the thread) has made it the model that
   * decodes `document`'s lines; throws with the reason it cannot.
   */
  async load(source: vscode.Uri, document: vscode.TextDocument | undefined, load: (runId: string, file: string) => Promise<Loaded>): Promise<StoredSeq2Seq> {
    const runId = `s2s-${Date.now().toString(36)}`;
    const stored = this.checkpointPath(runId);
    await vscode.workspace.fs.createDirectory(vscode.Uri.file(this.dir));
    await vscode.workspace.fs.copy(source, vscode.Uri.file(stored), { overwrite: false });
    const r = await load(runId, stored);
    if (!r.ok) {
      await removeFile(stored);
      throw new Error(r.error);
    }
    const run: StoredSeq2Seq = {
      runId, fileName: path.basename((document?.uri ?? source).path), status: 'completed', message: vscode.l10n.t('Loaded from {0} (step {1}).', path.basename(source.path), r.step),
      summary: summaryOf(r.options), step: r.step, tokensPerSec: 0, evals: [], examples: [], attention: null, sourceGradNorms: [], compare: [], focus: null, hasModel: true, runs: [],
      label: vscode.l10n.t('{0} (loaded)', labelOf(r.options)), uri: document?.uri.toString() ?? '', checkpoint: stored, options: r.options,
    };
    await this.keep(run);
    return run;
  }

  /** Drawn beside the shown run: the ticked runs, or else the latest earlier runs on its file; newest first. */
  private compared(shown: Seq2SeqView | undefined): StoredSeq2Seq[] {
    const others = this.runs.filter((h) => h.runId !== shown?.runId && h.evals.length > 0);
    const picked = this.selected ? others.filter((h) => this.selected!.includes(h.runId)) : others.filter((h) => h.fileName === shown?.fileName);
    return picked.slice(-MAX_COMPARED).reverse();
  }

  compareWith(shown: Seq2SeqView): Seq2SeqView['compare'] {
    return this.compared(shown).map((h) => ({ runId: h.runId, label: h.label, evals: h.evals }));
  }

  /** The run list, newest first. */
  list(shown: Seq2SeqView | undefined): Seq2SeqRunRow[] {
    const compared = new Set(this.compared(shown).map((h) => h.runId));
    return this.runs.slice().reverse().map((r) => {
      const last = r.evals.at(-1);
      return {
        runId: r.runId, label: r.label, fileName: r.fileName, status: r.status, step: r.step, exactMatch: last?.exactMatch ?? null, seconds: last?.seconds ?? null,
        hasModel: r.checkpoint !== null, shown: r.runId === shown?.runId, compared: compared.has(r.runId),
      };
    });
  }

  /** The runs to draw beside the shown one, from now on (the user's ticks). */
  async select(runIds: readonly string[]): Promise<void> {
    this.selected = runIds.filter((id) => this.get(id) !== undefined).slice(0, MAX_COMPARED);
    await this.memory.update(SELECTED_KEY, this.selected);
  }

  /** Forgets a run and deletes its model. */
  async remove(runId: string): Promise<void> {
    const run = this.get(runId);
    if (!run) return;
    this.runs = this.runs.filter((r) => r.runId !== runId);
    if (this.selected) this.selected = this.selected.filter((id) => id !== runId);
    await this.memory.update(HISTORY_KEY, this.runs);
    await this.memory.update(SELECTED_KEY, this.selected);
    await removeFile(run.checkpoint);
  }
}

/** Save Model… on the card: a copy of a kept run's model where the user says. */
export async function saveModelAs(run: StoredSeq2Seq | undefined): Promise<void> {
  if (!run?.checkpoint) {
    void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: a sequence-to-sequence model is kept when its run ends; save it then.'));
    return;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `${run.fileName.replace(/\.[^.]*$/, '') || 'pairs'}-seq2seq-step${run.step}.ckpt`;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters: { [vscode.l10n.t('LSTM Lab checkpoint')]: ['ckpt'] }, title: vscode.l10n.t('Save LSTM Lab checkpoint'),
  });
  if (!target) return;
  try {
    await vscode.workspace.fs.copy(vscode.Uri.file(run.checkpoint), target, { overwrite: true });
    void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: saved {0}.', path.basename(target.path)));
  } catch (e) {
    void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab could not save the checkpoint: {0}', errorMessage(e)));
  }
}

/** The model in a line, as the card's summary and the log say it. */
export function summaryOf(o: Seq2SeqRunOptions): string {
  return `${o.cell} ${o.layers}×${o.hidden}, attention ${o.attention}${o.bidirectional ? ', bidirectional encoder' : ''}, ${o.tokens} tokens${o.maxSeconds > 0 ? `, ${o.maxSeconds} s` : ''}`;
}

/** How the legend and the run list name a run. */
export function labelOf(o: Seq2SeqRunOptions): string {
  return `${o.cell} ${o.layers}×${o.hidden}, attention ${o.attention}${o.bidirectional ? ', bidirectional' : ''}`;
}

async function removeFile(file: string | null): Promise<void> {
  if (file) await vscode.workspace.fs.delete(vscode.Uri.file(file)).then(undefined, () => undefined);
}

/** Finished runs as stored: the well-formed ones (the state may come from an older version). */
function storedRuns(value: unknown): StoredSeq2Seq[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is StoredSeq2Seq => typeof v === 'object' && v !== null
    && typeof v.runId === 'string' && typeof v.fileName === 'string' && typeof v.label === 'string' && typeof v.summary === 'string'
    && Array.isArray(v.evals) && Array.isArray(v.examples) && Array.isArray(v.sourceGradNorms) && typeof v.status === 'string')
    .map((v) => ({
      ...v, compare: [], focus: null, runs: [],
      uri: typeof v.uri === 'string' ? v.uri : '',
      checkpoint: typeof v.checkpoint === 'string' ? v.checkpoint : null,
      options: typeof v.options === 'object' && v.options !== null ? v.options : null,
    }))
    .slice(-MAX_STORED);
}
