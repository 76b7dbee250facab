/**
 * Writing a file so that it holds either its old contents or the new ones, never a mix: used for
 * checkpoints (engine) and run records (extension host). Only Node's fs; no `vscode`, no tfjs.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The steps of an atomic write that can fail part-way; tests replace them to simulate a crash. */
export interface AtomicWriteSteps {
  write(file: FileHandle, bytes: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

const realSteps: AtomicWriteSteps = {
  write: async (file, bytes) => { await file.writeFile(bytes); },
  rename,
};

/** A write that failed; the target file is as it was. */
export class AtomicWriteError extends Error {
  constructor(path: string, cause: unknown) {
    super(`could not save ${path}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'AtomicWriteError';
  }
}

/**
 * Writes bytes to a temporary file next to `path`, flushes it to disk, then renames it over `path`,
 * so `path` holds either the old contents or the new ones, never a mix. On failure the temporary
 * file is removed and `path` is untouched.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, steps: Partial<AtomicWriteSteps> = {}): Promise<void> {
  const { write, rename: move } = { ...realSteps, ...steps };
  const dir = dirname(path);
  const temp = join(dir, tempName(basename(path), process.pid, randomBytes(4).toString('hex')));
  let file: FileHandle | undefined;
  let created = false;
  try {
    file = await open(temp, 'wx');
    created = true;
    await write(file, bytes);
    await file.sync();
    await file.close();
    file = undefined;
    await move(temp, path);
  } catch (e) {
    await file?.close().catch(() => undefined);
    if (created) await unlink(temp).catch(() => undefined);
    throw new AtomicWriteError(path, e);
  }
  // Makes the rename itself durable; directories cannot be opened for this on every platform.
  try {
    const d = await open(dir, 'r');
    await d.sync().finally(() => d.close());
  } catch {
    // The file is in place either way.
  }
  await removeStaleTemps(dir, basename(path));
}

/** `.NAME.PID-RANDOM.tmp`: hidden, next to NAME, and naming the process that writes it. */
function tempName(name: string, pid: number, random: string): string {
  return `.${name}.${pid}-${random}.tmp`;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files that saves of `name` left behind when their process died mid-write
 * (a crash, a kill). Files of processes still running may be saves in progress and are kept.
 */
async function removeStaleTemps(dir: string, name: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  const prefix = `.${name}.`;
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const m = /^(\d+)-[0-9a-f]{8}\.tmp$/.exec(entry.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isRunning(pid)) continue;
    await unlink(join(dir, entry)).catch(() => undefined);
  }
}
