/**
 * "Export Model for PyTorch": runs the CLI's `export` (dist/cli.js) in a child process, so that the
 * extension host never loads the engine (ARCHITECTURE.md) and a large checkpoint is converted off
 * the host's thread. The layout written is described in docs/export.md.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** Longest an export may take; a 1 GB checkpoint converts in well under this. */
const EXPORT_TIMEOUT_MS = 5 * 60_000;

/**
 * Writes `outPath` (safetensors for PyTorch) from the language-model checkpoint at
 * `checkpointPath`. `distDir` is the extension's dist folder, e.g.
 * `vscode.Uri.joinPath(context.extensionUri, 'dist').fsPath`. Rejects with the CLI's own message
 * (a missing or corrupted checkpoint, a sequence-to-sequence model, an unwritable `outPath`).
 */
export function exportForPyTorch(checkpointPath: string, outPath: string, distDir: string): Promise<void> {
  const cli = path.join(distDir, 'cli.js');
  if (!existsSync(cli)) return Promise.reject(new Error(`the LSTM Lab command line (${cli}) is missing from this installation`));
  const args = [cli, 'export', checkpointPath, '--format', 'safetensors', '--out', outPath];
  return new Promise((resolve, reject) => {
    // Inside VS Code process.execPath is Electron; this variable makes it run as plain Node.
    const env = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
    execFile(process.execPath, args, { env, timeout: EXPORT_TIMEOUT_MS, windowsHide: true }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const said = stderr.trim().split('\n').filter((l) => l.startsWith('lstm-lab: ')).map((l) => l.slice('lstm-lab: '.length)).join('\n');
      const why = said || (error.killed ? `it took longer than ${EXPORT_TIMEOUT_MS / 60_000} minutes` : stderr.trim() || error.message);
      reject(new Error(`could not export ${checkpointPath}: ${why}`));
    });
  });
}
