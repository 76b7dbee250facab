/**
 * Before a sequence-to-sequence run starts: which document it trains on, whether it can (with
 * the reason said to the user when not), and the options it trains with; and the shape of a run
 * while it trains.
 */
import * as vscode from 'vscode';
import type { ConfigStore } from '../config';
import type { Seq2SeqRunOptions } from '../protocol/seq2seqMessages';
import type { HostToWebview, Seq2SeqView } from '../protocol/webviewProtocol';
import type { Seq2SeqForm } from '../protocol/seq2seqPanel';
import type { StoredSeq2Seq } from './seq2seqRuns';

/** How a run ended. */
export type Reason = 'completed' | 'stopped' | 'failed';

/** What the controller needs of the panel. */
export interface Seq2SeqHost {
  post(m: HostToWebview): void;
  showPanel(): void;
}

/** The run training, or the last one trained in this window. */
export interface LiveRun {
  runId: string;
  uri: vscode.Uri;
  view: Seq2SeqView;
  label: string;
  options: Seq2SeqRunOptions;
  /** A continued run's curves go on from its parent's: seconds of training before it. */
  before: number;
  ended: Promise<Reason>;
  end: (r: Reason) => void;
}

/** Longest file of pairs trained on (UTF-16 characters). */
const MAX_CHARS = 20_000_000;

/** The document a command or the panel's Train means: the active editor's, else a visible one (the trained one first). */
export function targetDocument(trained: vscode.Uri | undefined): vscode.TextDocument | undefined {
  return vscode.window.activeTextEditor?.document
    ?? vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === trained?.toString())?.document
    ?? vscode.window.visibleTextEditors[0]?.document;
}

/** The file a kept run trained on, when it is open or can be opened. */
export async function documentOf(run: StoredSeq2Seq): Promise<vscode.TextDocument | undefined> {
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === run.uri)
    ?? (run.uri.startsWith('file:') ? await vscode.workspace.openTextDocument(vscode.Uri.parse(run.uri)).then((d) => d, () => undefined) : undefined);
}

/** The form's values from the settings. */
export function formFromSettings(config: ConfigStore): Seq2SeqForm {
  const { train: t, seq2seq: s } = config.value;
  return { cell: t.cell, layers: Math.min(2, t.layers), hidden: s.hiddenSize, attention: s.attention, bidirectional: s.bidirectional, tokens: t.tokens, beam: s.beam, maxSeconds: s.maxSeconds };
}

/**
 * The run's options (the settings, then `overrides`: the panel's form) and text, or undefined
 * when it cannot start, after saying why.
 */
export function startable(document: vscode.TextDocument | undefined, busy: boolean, config: ConfigStore, overrides: Partial<Seq2SeqRunOptions>): { text: string; options: Seq2SeqRunOptions } | undefined {
  if (!document) {
    void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: open a file of pairs (source, a tab, target on each line) to train a sequence-to-sequence model. LSTM Lab: New Sequence-to-Sequence Sample… writes one.'));
    return undefined;
  }
  if (busy) {
    void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: a sequence-to-sequence run is already training. Stop it first.'));
    return undefined;
  }
  const text = document.getText();
  if (text.length > MAX_CHARS) {
    void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab: the file has {0} characters; sequence-to-sequence training takes at most {1}.', text.length.toLocaleString('en'), MAX_CHARS.toLocaleString('en')));
    return undefined;
  }
  const c = config.value;
  if (overrides.layers === undefined && c.train.layers > 2) void vscode.window.showInformationMessage(vscode.l10n.t('LSTM Lab: sequence-to-sequence models have 1–2 layers; training with 2 (the Train setting says {0}).', c.train.layers));
  const options: Seq2SeqRunOptions = { ...formFromSettings(config), batchSize: 64, learningRate: 0.005, seed: c.train.seed, ...overrides };
  if (options.hidden % 8 !== 0) {
    void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab: lstmLab.seq2seq.hiddenSize must be a multiple of 8 (it is {0}).', options.hidden));
    return undefined;
  }
  return { text, options };
}
