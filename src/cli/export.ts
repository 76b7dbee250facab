/** `lstm-lab export CHECKPOINT --format safetensors [--out PATH]`: a model (language or sequence to sequence) for PyTorch. */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { exportCheckpointFile } from '../engine/export/exportFile';
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

  const done = await exportCheckpointFile(checkpoint, out);
  const module = done.torchModule === 'none' ? `no torch module computes a ${done.cell} cell: see "equations" in the metadata` : `torch.nn.${done.torchModule}`;
  const model = done.attention === null ? `${done.cell} ${done.layers}×${done.hiddenSize}` : `${done.cell} ${done.layers}×${done.hiddenSize} encoder–decoder, attention ${done.attention}`;
  const run = done.attention === null ? '' : ' for each recurrent stack; scripts/lstm_lab_seq2seq_numpy.py decodes with it';
  console.log(`exported ${checkpoint} to ${out} (${done.bytes.toLocaleString('en')} bytes): ${model}, vocabulary ${done.vocabSize}, ${done.tensors} tensors; ${module}${run}`);
}
