/**
 * Training threads step aside for the editor: on Linux the nice value is a property of each
 * thread, and a thread lowers its own (and that of the threads it starts) without touching the
 * extension host's. Elsewhere it is a property of the whole process, so nothing changes there.
 */
import * as os from 'node:os';

/** The training threads' nice value: below the editor's threads, still far from idle-only. */
export const TRAINING_NICE = 10;

/** Lowers the calling thread's scheduling priority; returns the nice value it now has, or null when unchanged. */
export function yieldToEditor(platform: NodeJS.Platform = process.platform): number | null {
  if (platform !== 'linux') return null;
  try {
    os.setPriority(0, TRAINING_NICE);
    return os.getPriority(0);
  } catch {
    return null;
  }
}
