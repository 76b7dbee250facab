/**
 * Which kind of model a checkpoint file holds, read from its header alone (the layout is in
 * src/engine/checkpointFormat.ts): the host uses it to hand a sequence-to-sequence checkpoint to
 * the thread that can load it. The engine validates the whole file when it loads it.
 */
import { open } from 'node:fs/promises';

const MAGIC = 'LSTMLAB\u0000';
const PREFIX_BYTES = 24;
/** Longer headers are not read here (the engine refuses them with its own message). */
const MAX_HEADER_BYTES = 64 * 2 ** 20;

/** 'seq2seq', 'language', or null when the file is not a readable checkpoint. */
export async function checkpointKind(path: string): Promise<'seq2seq' | 'language' | null> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return null;
  try {
    const prefix = Buffer.alloc(PREFIX_BYTES);
    const { bytesRead } = await file.read(prefix, 0, PREFIX_BYTES, 0);
    if (bytesRead < PREFIX_BYTES || prefix.toString('latin1', 0, 8) !== MAGIC) return null;
    const headerBytes = prefix.readUInt32LE(12);
    if (headerBytes > MAX_HEADER_BYTES) return null;
    const header = Buffer.alloc(headerBytes);
    const read = await file.read(header, 0, headerBytes, PREFIX_BYTES);
    if (read.bytesRead < headerBytes) return null;
    const parsed: unknown = JSON.parse(header.toString('utf8'));
    const config = typeof parsed === 'object' && parsed !== null ? (parsed as { config?: unknown }).config : undefined;
    if (typeof config !== 'object' || config === null) return null;
    return (config as { kind?: unknown }).kind === 'seq2seq' ? 'seq2seq' : 'language';
  } catch {
    return null;
  } finally {
    await file.close().catch(() => undefined);
  }
}
