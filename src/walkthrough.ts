/**
 * What the Getting Started walkthrough needs beyond the commands it links to: the bundled sample
 * text, and a context key that marks the hover step done once a prediction hover was shown.
 */
import * as vscode from 'vscode';
import { CommandId } from './commands';

/** The sample shipped with the extension (a public-domain collection of Shakespeare's plays). */
export const SAMPLE_FILE = 'shakespeare.txt';

/** Set to true once a hover with predictions has been shown; the walkthrough's hover step waits for it. */
export const HOVER_SHOWN_CONTEXT = 'lstmLab.hoverShown';

export interface OpenSampleOptions {
  /** Start training on the sample once it is open. */
  train: boolean;
}

export function openSampleOptions(arg: unknown): OpenSampleOptions {
  const train = typeof arg === 'object' && arg !== null && 'train' in arg && (arg as { train: unknown }).train === true;
  return { train };
}

/**
 * Opens the sample text in an editor, from a copy in the extension's global storage: the copy is
 * the user's to edit and save, while the installed extension stays untouched. An existing copy is
 * kept, edits included. With `train`, training starts on it.
 * @returns the opened file's URI, and the run id when training started
 */
export async function openSample(extensionUri: vscode.Uri, storageUri: vscode.Uri, options: OpenSampleOptions): Promise<{ uri: string; runId?: string }> {
  const bundled = vscode.Uri.joinPath(extensionUri, 'samples', SAMPLE_FILE);
  const folder = vscode.Uri.joinPath(storageUri, 'samples');
  const copy = vscode.Uri.joinPath(folder, SAMPLE_FILE);
  if (!(await exists(copy))) {
    await vscode.workspace.fs.createDirectory(folder);
    // Read and write rather than copy: the bundled file may be read-only, the copy must not be.
    await vscode.workspace.fs.writeFile(copy, await vscode.workspace.fs.readFile(bundled));
  }
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(copy), { preview: false });
  if (!options.train) return { uri: copy.toString() };
  const runId = await vscode.commands.executeCommand<string | undefined>(CommandId.Train);
  return { uri: copy.toString(), runId };
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** Wraps a hover provider so that its first answer sets {@link HOVER_SHOWN_CONTEXT}. */
export function markFirstHover(provider: vscode.HoverProvider): vscode.HoverProvider {
  let marked = false;
  return {
    provideHover: async (document, position, token) => {
      const hover = await provider.provideHover(document, position, token);
      if (hover && !marked) {
        marked = true;
        void vscode.commands.executeCommand('setContext', HOVER_SHOWN_CONTEXT, true);
      }
      return hover;
    },
  };
}
