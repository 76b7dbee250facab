/**
 * Writes a checkpoint (a language model, or an encoder–decoder) as safetensors in PyTorch's layout
 * (docs/export.md): used by `lstm-lab export` and by the engine worker for the editor's Export
 * Model for PyTorch command.
 */
import type { ExportTorchResult } from '../../protocol/workerProtocol';
import { loadCheckpoint } from '../checkpoint';
import { AtomicWriteError, writeFileAtomic } from '../../shared/atomicFile';
import { encodeSafetensors } from './safetensors';
import { SEQ2SEQ_KIND } from '../seq2seq/trainer';
import { seq2seqTorchExport } from './seq2seqLayout';
import { ExportError, torchExport } from './torchLayout';

/** What an export wrote: its size, tensors and the metadata a reader needs first. */
export type ExportSummary = ExportTorchResult;

/** Reads `checkpointPath`, writes `outPath`; errors say which file and why. */
export async function exportCheckpointFile(checkpointPath: string, outPath: string): Promise<ExportSummary> {
  const ckpt = await loadCheckpoint(checkpointPath);
  let file;
  try {
    file = ckpt.config.kind === SEQ2SEQ_KIND ? seq2seqTorchExport(ckpt) : torchExport(ckpt);
  } catch (e) {
    if (e instanceof ExportError) throw new Error(`${checkpointPath}: ${e.message}`);
    throw e;
  }
  const bytes = encodeSafetensors(file);
  try {
    await writeFileAtomic(outPath, bytes);
  } catch (e) {
    throw e instanceof AtomicWriteError ? new Error(e.message) : e;
  }
  const m = file.metadata;
  return {
    bytes: bytes.length, tensors: file.tensors.length, cell: m.cell, layers: Number(m.num_layers), hiddenSize: Number(m.hidden_size),
    vocabSize: Number(m.vocab_size), torchModule: m.torch_module, attention: m.model === 'seq2seq' ? m.attention : null,
  };
}
