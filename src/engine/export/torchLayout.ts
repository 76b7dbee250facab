/**
 * A language-model checkpoint laid out for PyTorch (docs/export.md has the whole mapping); a
 * sequence-to-sequence checkpoint goes to seq2seqLayout.ts, which lays its stacks out the same way.
 *
 * Our layers compute z = x W_x + h W_h + b with W_x [D, G·H] and blocks in the cell's own order;
 * PyTorch computes W_ih x + b_ih + W_hh h + b_hh with W_ih [G·H, D] and its own gate order. So each
 * weight is transposed and its blocks reordered; nothing else changes. Layer 0 reads one-hot
 * tokens: weight_ih_l0 has vocab_size columns, and column j is token j's input projection.
 *
 *   lstm, rnn                      `rnn.weight_ih_l{k}`, `rnn.weight_hh_l{k}`, `rnn.bias_ih_l{k}` (our
 *                                  b), `rnn.bias_hh_l{k}` (zeros): torch.nn.LSTM / torch.nn.RNN
 *                                  (tanh) load them with load_state_dict, exactly.
 *   gru, noforget, cifg, peephole  no PyTorch module computes these cells (the GRU applies its
 *                                  reset gate before W_hn, nn.GRU after it): `cell.weight_ih_l{k}`,
 *                                  `cell.weight_hh_l{k}`, `cell.bias_l{k}`, `cell.weight_peephole_l{k}`
 *                                  in the same orientation, with the equations in the metadata.
 *   every cell                     `decoder.weight` [V, H], `decoder.bias` [V]: torch.nn.Linear.
 */
import type { CellName } from '../../protocol/runConfig';
import type { Checkpoint, TensorRecord } from '../checkpointFormat';
import { configOf, modelWeightShapes, shapeOf } from '../snapshot';
import type { SafetensorsFile } from './safetensors';

/** Bumped when a tensor's name, layout or meaning changes. */
export const TORCH_EXPORT_VERSION = 1;

interface CellLayout {
  /** The PyTorch module that computes this cell exactly, or 'none'. */
  module: 'LSTM' | 'RNN' | 'none';
  /** Our block order (src/engine/cells). */
  ours: readonly string[];
  /** The exported block order: PyTorch's where the gate exists there. */
  exported: readonly string[];
  /** The cell's equations in the exported names (x input, h and c the previous state). */
  equations: string;
}

// In `equations`, W_k, U_k and b_k are block k of weight_ih, weight_hh and the bias, so that
// W_k x is rows k of weight_ih times x. `ours` restates the cells' block orders; the export test
// (numpy on the file against the engine's probabilities) fails if either side changes alone.
export const CELL_LAYOUTS: Record<CellName, CellLayout> = {
  lstm: {
    module: 'LSTM', ours: ['i', 'f', 'o', 'g'], exported: ['i', 'f', 'g', 'o'],
    equations: 'torch.nn.LSTM: i = sigmoid(W_i x + U_i h + b_i); f = sigmoid(W_f x + U_f h + b_f); g = tanh(W_g x + U_g h + b_g); ' +
      "o = sigmoid(W_o x + U_o h + b_o); c' = f*c + i*g; h' = o*tanh(c') (b = bias_ih + bias_hh)",
  },
  rnn: { module: 'RNN', ours: ['h'], exported: ['h'], equations: "torch.nn.RNN(nonlinearity='tanh'): h' = tanh(W x + b_ih + U h + b_hh)" },
  peephole: {
    module: 'none', ours: ['i', 'f', 'o', 'g'], exported: ['i', 'f', 'g', 'o'],
    equations: 'i = sigmoid(W_i x + U_i h + b_i + p[0]*c); f = sigmoid(W_f x + U_f h + b_f + p[1]*c); g = tanh(W_g x + U_g h + b_g); ' +
      "c' = f*c + i*g; o = sigmoid(W_o x + U_o h + b_o + p[2]*c'); h' = o*tanh(c') (p = weight_peephole, rows i, f, o)",
  },
  noforget: {
    module: 'none', ours: ['i', 'o', 'g'], exported: ['i', 'g', 'o'],
    equations: "i = sigmoid(W_i x + U_i h + b_i); g = tanh(W_g x + U_g h + b_g); o = sigmoid(W_o x + U_o h + b_o); c' = c + i*g; h' = o*tanh(c')",
  },
  cifg: {
    module: 'none', ours: ['f', 'o', 'g'], exported: ['f', 'g', 'o'],
    equations: "f = sigmoid(W_f x + U_f h + b_f); g = tanh(W_g x + U_g h + b_g); o = sigmoid(W_o x + U_o h + b_o); c' = f*c + (1 - f)*g; h' = o*tanh(c')",
  },
  gru: {
    module: 'none', ours: ['z', 'r', 'n'], exported: ['r', 'z', 'n'],
    equations: "r = sigmoid(W_r x + U_r h + b_r); z = sigmoid(W_z x + U_z h + b_z); n = tanh(W_n x + U_n (r*h) + b_n); h' = (1 - z)*h + z*n",
  },
};

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

/** Exported block k is our block perm[k]. */
export function permutation(layout: CellLayout): number[] {
  return layout.exported.map((gate) => layout.ours.indexOf(gate));
}

/** W [D, G·H] (our order) → [G·H, D] in the exported order: row k·H + u is our column perm[k]·H + u. */
export function toRows(W: TensorRecord, H: number, perm: readonly number[]): TensorRecord {
  const [D, GH] = W.shape;
  const out = new Float32Array(GH * D);
  perm.forEach((from, k) => {
    for (let u = 0; u < H; u++) {
      const row = (k * H + u) * D;
      const col = from * H + u;
      for (let d = 0; d < D; d++) out[row + d] = W.data[d * GH + col];
    }
  });
  return { name: '', shape: [GH, D], data: out };
}

/** b [G·H] (our order) → the exported order. */
export function reorder(b: Float32Array, H: number, perm: readonly number[]): Float32Array {
  const out = new Float32Array(b.length);
  perm.forEach((from, k) => out.set(b.subarray(from * H, (from + 1) * H), k * H));
  return out;
}

export function transpose(W: TensorRecord): Float32Array {
  const [R, C] = W.shape;
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = W.data[r * C + c];
  return out;
}

/** The checkpoint's config and weights, checked to be exactly those of a language model. */
function readModel(c: Checkpoint) {
  if (c.config.kind === 'seq2seq') throw new ExportError('this checkpoint holds a sequence-to-sequence model, which seq2seqTorchExport lays out');
  let config;
  try {
    config = configOf(c);
  } catch (e) {
    throw new ExportError((e as Error).message);
  }
  const shape = shapeOf(config, c.vocab.tokens.length);
  const byName = new Map(c.weights.map((w) => [w.name, w]));
  const expected = modelWeightShapes(shape);
  for (const { key, shape: want } of expected) {
    const w = byName.get(key);
    if (!w) throw new ExportError(`the checkpoint has no weight "${key}"`);
    if (w.shape.join('×') !== want.join('×')) throw new ExportError(`the checkpoint's weight "${key}" has shape [${w.shape.join(', ')}] but a ${config.cell} ${config.layers}×${config.hiddenSize} model over ${shape.vocabSize} tokens needs [${want.join(', ')}]`);
  }
  const extra = c.weights.find((w) => !expected.some((e) => e.key === w.name));
  if (extra) throw new ExportError(`the checkpoint has a weight "${extra.name}" that a ${config.cell} model does not`);
  return { config, shape, weight: (key: string) => byName.get(key)! };
}

/**
 * The tensors and metadata of a checkpoint's PyTorch export. Throws ExportError for a checkpoint
 * that is not a language model of this LSTM Lab, or whose weights do not fit its configuration.
 */
export function torchExport(c: Checkpoint): SafetensorsFile {
  const { config, shape, weight } = readModel(c);
  const layout = CELL_LAYOUTS[shape.cell];
  const H = shape.hiddenSize;
  const perm = permutation(layout);
  const prefix = layout.module === 'none' ? 'cell' : 'rnn';
  const tensors: TensorRecord[] = [];
  const add = (name: string, dims: number[], data: Float32Array) => tensors.push({ name, shape: dims, data });
  for (let l = 0; l < shape.layers; l++) {
    const Wx = toRows(weight(`layer${l}.Wx`), H, perm);
    const Wh = toRows(weight(`layer${l}.Wh`), H, perm);
    const b = reorder(weight(`layer${l}.b`).data, H, perm);
    add(`${prefix}.weight_ih_l${l}`, Wx.shape, Wx.data);
    add(`${prefix}.weight_hh_l${l}`, Wh.shape, Wh.data);
    if (layout.module === 'none') add(`cell.bias_l${l}`, [b.length], b);
    else {
      // PyTorch adds two biases; ours is one, so the second is zero.
      add(`rnn.bias_ih_l${l}`, [b.length], b);
      add(`rnn.bias_hh_l${l}`, [b.length], new Float32Array(b.length));
    }
    if (shape.cell === 'peephole') {
      const p = weight(`layer${l}.p`);
      add(`cell.weight_peephole_l${l}`, p.shape.slice(), p.data.slice());
    }
  }
  const out = weight('out.W');
  add('decoder.weight', [shape.vocabSize, H], transpose(out));
  add('decoder.bias', [shape.vocabSize], weight('out.b').data.slice());

  const metadata: Record<string, string> = {
    format: 'lstm-lab-torch',
    format_version: String(TORCH_EXPORT_VERSION),
    torch_module: layout.module,
    cell: shape.cell,
    gate_order: layout.exported.join(','),
    equations: layout.equations,
    input: 'one_hot',
    num_layers: String(shape.layers),
    hidden_size: String(H),
    vocab_size: String(shape.vocabSize),
    dropout: String(config.dropout),
    unknown_token_id: '0',
    config: JSON.stringify(c.config),
    vocab: JSON.stringify({ mode: c.vocab.mode, tokens: c.vocab.tokens }),
    created_at: c.createdAt,
  };
  if (layout.module === 'RNN') metadata.nonlinearity = 'tanh';
  return { tensors, metadata };
}
