/** `lstm-lab export CHECKPOINT --format safetensors [--out PATH]`: a language model for PyTorch. */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadCheckpoint } from '../engine/checkpoint';
import { encodeSafetensors } from '../engine/export/safetensors';
import { ExportError, torchExport } from '../engine/export/torchLayout';
import { AtomicWriteError, writeFileAtomic } from '../shared/atomicFile';
import { choice, UsageError } from './args';

export const EXPORT_USAGE = 'lstm-lab export CHECKPOINT --format safetensors [--out PATH]   (PyTorch layout: docs/export.md)';

const FORMATS = ['safetensors'] as const;

/** The checkpoint's path with its extension replaced by .safetensors. */
export function defaultExportPath(checkpoint: string): string {
  const { dir, name } = path.parse(checkpoint);
  return path.join(dir, `${name}.safetensors`);
}

export async function exportModel(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string' }, out: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('export needs exactly one CHECKPOINT');
  const format = choice(v.format, 'format', FORMATS);
  if (!format) throw new UsageError(`export needs --format (one of ${FORMATS.join(', ')})`);
  const [checkpoint] = positionals;
  const out = v.out ?? defaultExportPath(checkpoint);
  if (path.resolve(out) === path.resolve(checkpoint)) throw new UsageError(`--out ${out} is the checkpoint itself; give another path`);

  const ckpt = await loadCheckpoint(checkpoint);
  let file;
  try {
    file = torchExport(ckpt);
  } catch (e) {
    if (e instanceof ExportError) throw new Error(`${checkpoint}: ${e.message}`);
    throw e;
  }
  const bytes = encodeSafetensors(file);
  try {
    await writeFileAtomic(out, bytes);
  } catch (e) {
    throw e instanceof AtomicWriteError ? new Error(e.message) : e;
  }
  const m = file.metadata;
  const module = m.torch_module === 'none' ? `no torch module computes a ${m.cell} cell: see "equations" in the metadata` : `torch.nn.${m.torch_module}`;
  console.log(`exported ${checkpoint} to ${out} (${bytes.length.toLocaleString('en')} bytes): ${m.cell} ${m.num_layers}×${m.hidden_size}, ` +
    `vocabulary ${m.vocab_size}, ${file.tensors.length} tensors; ${module}`);
}
