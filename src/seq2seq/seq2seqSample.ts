/** LSTM Lab: New Sequence-to-Sequence Sample…: a generated task in a new editor, to train on at once. */
import * as vscode from 'vscode';
import { SAMPLE_TASKS, sampleText, type SampleTask } from '../shared/seq2seqSamples';

/** Writes `task` (or the one the user picks) into a new untitled editor. */
export async function newSeq2SeqSample(task?: SampleTask): Promise<vscode.TextDocument | undefined> {
  const chosen = task ?? (await vscode.window.showQuickPick(
    (Object.keys(SAMPLE_TASKS) as SampleTask[]).map((t) => {
      const { label, detail } = taskText(t);
      return { label, detail: vscode.l10n.t('{0} · {1} pairs', detail, SAMPLE_TASKS[t].pairs.toLocaleString('en')), task: t };
    }),
    { title: vscode.l10n.t('A generated sequence-to-sequence task'), placeHolder: vscode.l10n.t('Pick a task; then run LSTM Lab: Train Seq2Seq on File') },
  ))?.task;
  if (!chosen) return undefined;
  const doc = await vscode.workspace.openTextDocument({ content: sampleText(chosen), language: 'plaintext' });
  await vscode.window.showTextDocument(doc);
  return doc;
}

/** A generated task as the pick names it (SAMPLE_TASKS in src/shared/seq2seqSamples.ts, in the display language). */
function taskText(task: SampleTask): { label: string; detail: string } {
  switch (task) {
    case 'reverse': return { label: vscode.l10n.t('Reverse a string'), detail: vscode.l10n.t('5–10 random lowercase letters, written backwards') };
    case 'dates': return { label: vscode.l10n.t('Dates to ISO 8601'), detail: vscode.l10n.t('a date in one of six formats, e.g. "3 Mar 1999" ⇒ "1999-03-03"') };
    case 'addition': return { label: vscode.l10n.t('Add two numbers'), detail: vscode.l10n.t('"12+345" ⇒ "357", numbers up to 999') };
  }
}

