/**
 * The panel's form and the settings agree: the form can write its values to the workspace's
 * `lstmLab.train.*` settings, and the palette's Train uses what the user last trained with from
 * the form (remembered per workspace until the settings change).
 */
import * as vscode from 'vscode';
import { TRAIN_SETTINGS, validateTrainConfig } from '../protocol/runConfig';
import type { FormConfig, FormField } from '../protocol/webviewProtocol';

const LAST_FORM_KEY = 'lstmLab.lastForm';

/** Writes the form's values as settings (the workspace's, or the user's without a folder). */
export async function saveFormAsSettings(form: Partial<FormConfig>): Promise<number> {
  const { problems } = validateTrainConfig(form);
  if (problems.length > 0) {
    void vscode.window.showErrorMessage(vscode.l10n.t('LSTM Lab did not save the settings: {0}', problems[0]));
    return 0;
  }
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  const settings = vscode.workspace.getConfiguration('lstmLab');
  const fields = Object.keys(form) as FormField[];
  for (const f of fields) await settings.update(`train.${TRAIN_SETTINGS[f].key}`, form[f], target);
  void vscode.window.showInformationMessage(target === vscode.ConfigurationTarget.Workspace
    ? vscode.l10n.t('LSTM Lab: saved {0} training settings to this workspace; Train from the palette uses them.', fields.length)
    : vscode.l10n.t('LSTM Lab: saved {0} training settings to your user settings (no folder is open); Train from the palette uses them.', fields.length));
  return fields.length;
}

/** What the user last trained with from the form, until the settings change. */
export class LastChoice {
  constructor(private readonly memory: vscode.Memento) {}

  get(): Partial<FormConfig> | undefined {
    const v = this.memory.get<unknown>(LAST_FORM_KEY);
    return typeof v === 'object' && v !== null ? (v as Partial<FormConfig>) : undefined;
  }

  set(form: Partial<FormConfig> | undefined): void {
    void this.memory.update(LAST_FORM_KEY, form);
  }
}
