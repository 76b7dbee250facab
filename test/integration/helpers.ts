import * as vscode from 'vscode';
import type { LabApi } from '../../src/extension';

export async function labApi(): Promise<LabApi> {
  const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'lstm-lab');
  if (!ext) throw new Error('LSTM Lab is not installed');
  return (await ext.activate()) as LabApi;
}

export function fixture(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the test workspace has no folder');
  return vscode.Uri.joinPath(folder.uri, name);
}

export async function openFixture(name: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(fixture(name));
  return vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Small, fast settings for tests; returns a function that restores the previous values. */
export async function useTestSettings(values: Record<string, unknown>): Promise<() => Promise<void>> {
  const c = vscode.workspace.getConfiguration('lstmLab');
  const previous: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    previous[k] = c.inspect(k)?.globalValue;
    await c.update(k, v, vscode.ConfigurationTarget.Global);
  }
  return async () => {
    for (const [k, v] of Object.entries(previous)) await c.update(k, v, vscode.ConfigurationTarget.Global);
  };
}

export const FAST_SETTINGS = {
  'train.hiddenSize': 32,
  'train.batchSize': 16,
  'train.sequenceLength': 32,
  'train.learningRate': 0.01,
  'train.maxSeconds': 90,
  'train.validateEvery': 25,
  'train.sampleEvery': 50,
};

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Per-suite setup: the extension's API and fast settings, restored (and any run stopped) after
 * the suite. `api` is available inside tests.
 */
export function useLabSuite(): { readonly api: LabApi } {
  let api: LabApi | undefined;
  let restore: (() => Promise<void>) | undefined;
  suiteSetup(async () => {
    api = await labApi();
    restore = await useTestSettings(FAST_SETTINGS);
  });
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('lstmLab.stop');
    await restore?.();
  });
  return {
    get api(): LabApi {
      if (!api) throw new Error('the suite has not been set up');
      return api;
    },
  };
}
