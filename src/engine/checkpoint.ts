/**
 * Checkpoint files on disk: saved atomically, loaded with the size checked before reading and
 * every byte validated (checkpointFormat.ts has the layout, checkpointReader.ts the checks).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { AtomicWriteError, writeFileAtomic, type AtomicWriteSteps } from '../shared/atomicFile';
import { CHECKPOINT_LIMITS, CheckpointError, encodeCheckpoint, type Checkpoint, type CheckpointExpectation } from './checkpointFormat';
import { decodeCheckpoint } from './checkpointReader';

function ioError(action: string, path: string, e: unknown): CheckpointError {
  return new CheckpointError(`could not ${action} ${path}: ${(e as Error).message}`, 'io');
}

/** Saves atomically; `steps` replace the write's parts in tests that simulate a crash. */
export async function saveCheckpoint(path: string, c: Checkpoint, steps?: Partial<AtomicWriteSteps>): Promise<void> {
  try {
    await writeFileAtomic(path, encodeCheckpoint(c), steps);
  } catch (e) {
    throw e instanceof AtomicWriteError ? new CheckpointError(e.message, 'io') : e;
  }
}

/** Reads and validates a checkpoint; the file's size is checked before it is read. */
export async function loadCheckpoint(path: string, expect?: CheckpointExpectation): Promise<Checkpoint> {
  let bytes: Uint8Array;
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    const { size } = await file.stat();
    if (size > CHECKPOINT_LIMITS.fileBytes) {
      throw new CheckpointError(`${path}: the file is ${size} bytes, more than the ${CHECKPOINT_LIMITS.fileBytes} a checkpoint may have`, 'too-large');
    }
    bytes = await file.readFile();
  } catch (e) {
    throw e instanceof CheckpointError ? e : ioError('read', path, e);
  } finally {
    await file?.close().catch(() => undefined);
  }
  try {
    return decodeCheckpoint(bytes, expect);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(`${path}: ${e.message}`, e.problem);
    throw e;
  }
}
