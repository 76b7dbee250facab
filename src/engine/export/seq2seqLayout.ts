/**
 * A sequence-to-sequence checkpoint laid out for PyTorch (docs/export.md, "Sequence to sequence").
 *
 * Each recurrent stack is exported as torchLayout.ts exports a language model's: `encoder.*` (the
 * encoder), `encoder_reverse.*` (the second encoder stack, run over the reversed source, when
 * bidirectional) and `decoder.*`, each loadable into its own torch.nn.LSTM / torch.nn.RNN where
 * one computes the cell (`weight_ih_lk`, `weight_hh_lk`, `bias_ih_lk`, `bias_hh_lk` = 0), else in
 * the same orientation with one bias (`bias_lk`, `weight_peephole_lk`). The head, as torch.nn.Linear
 * weights ([out, in]):
 *
 *   attention.weight        [E, H]  dot: score(t, i) = attention(s_t) · h_i   (W_aᵀ)
 *   attention.key.weight    [H, E]  additive: score(t, i) = v(tanh(key(h_i) + query(s_t)))
 *   attention.query.weight  [H, H]
 *   attention.v.weight      [1, H]
 *   combine.weight, .bias   [H, E + H], [H]  õ_t = tanh(combine([c_t; s_t]))
 *   out.weight, out.bias    [V, H], [V]      p(y_t) = softmax(out(õ_t)), õ_t = s_t without attention
 */
import type { CellName } from '../../protocol/runConfig';
import type { Checkpoint, TensorRecord } from '../checkpointFormat';
import { BOS_ID, EOS_ID, PAD_ID } from '../seq2seq/batches';
import { ATTENTION_KINDS, type AttentionKind } from '../seq2seq/model';
import { seq2seqCodecOf } from '../seq2seq/trainer';
import type { SafetensorsFile } from './safetensors';
import { CELL_LAYOUTS, ExportError, permutation, reorder, toRows, TORCH_EXPORT_VERSION, transpose } from './torchLayout';

/** How each decoder layer's state starts, in the export's names. */
const DECODER_START = 'decoder layer k starts from encoder layer k\'s final (h, c), plus encoder_reverse layer k\'s when bidirectional';

interface Seq2SeqCheckpointShape {
  cell: CellName;
  layers: number;
  hidden: number;
  attention: AttentionKind;
  bidirectional: boolean;
  maxSource: number;
  maxTarget: number;
}

function readShape(c: Checkpoint): Seq2SeqCheckpointShape {
  const k = c.config;
  const cell = k.cell as CellName;
  if (!(cell in CELL_LAYOUTS)) throw new ExportError(`the checkpoint names a cell this version does not know (${String(k.cell)})`);
  const attention = k.attention as AttentionKind;
  if (!(ATTENTION_KINDS as readonly string[]).includes(attention)) throw new ExportError(`the checkpoint names an attention this version does not know (${String(k.attention)})`);
  const layers = Number(k.layers);
  const hidden = Number(k.hidden);
  if (!(layers === 1 || layers === 2) || !(Number.isInteger(hidden) && hidden > 0)) throw new ExportError('the checkpoint has no valid layers and hidden size');
  const maxSource = Number(k.maxSource);
  const maxTarget = Number(k.maxTarget);
  const length = (n: number) => Number.isInteger(n) && n >= 1 && n <= 4096;
  if (!length(maxSource) || !length(maxTarget)) throw new ExportError('the checkpoint has no valid source and target lengths');
  return { cell, layers, hidden, attention, bidirectional: k.bidirectional === true, maxSource, maxTarget };
}

/** The tensors and metadata of a sequence-to-sequence checkpoint's PyTorch export. */
export function seq2seqTorchExport(c: Checkpoint): SafetensorsFile {
  const shape = readShape(c);
  let tokens: readonly string[];
  try {
    tokens = seq2seqCodecOf(c).vocab.tokens;
  } catch (e) {
    throw new ExportError((e as Error).message);
  }
  const { cell, layers: L, hidden: H, attention, bidirectional } = shape;
  const V = tokens.length;
  const E = bidirectional ? 2 * H : H;
  const byName = new Map(c.weights.map((w) => [w.name, w]));
  const used = new Set<string>();
  const weight = (key: string, want: number[]): TensorRecord => {
    const w = byName.get(key);
    if (!w) throw new ExportError(`the checkpoint has no weight "${key}"`);
    if (w.shape.join('×') !== want.join('×')) throw new ExportError(`the checkpoint's weight "${key}" has shape [${w.shape.join(', ')}] but this ${cell} model needs [${want.join(', ')}]`);
    used.add(key);
    return w;
  };

  const layout = CELL_LAYOUTS[cell];
  const G = layout.ours.length * H;
  const perm = permutation(layout);
  const tensors: TensorRecord[] = [];
  const add = (name: string, dims: number[], data: Float32Array) => tensors.push({ name, shape: dims, data });
  const stack = (ours: string, theirs: string) => {
    for (let l = 0; l < L; l++) {
      const D = l === 0 ? V : H;
      const Wx = toRows(weight(`${ours}${l}.Wx`, [D, G]), H, perm);
      const Wh = toRows(weight(`${ours}${l}.Wh`, [H, G]), H, perm);
      const b = reorder(weight(`${ours}${l}.b`, [G]).data, H, perm);
      add(`${theirs}.weight_ih_l${l}`, Wx.shape, Wx.data);
      add(`${theirs}.weight_hh_l${l}`, Wh.shape, Wh.data);
      if (layout.module === 'none') add(`${theirs}.bias_l${l}`, [G], b);
      else {
        add(`${theirs}.bias_ih_l${l}`, [G], b);
        add(`${theirs}.bias_hh_l${l}`, [G], new Float32Array(G));
      }
      if (cell === 'peephole') add(`${theirs}.weight_peephole_l${l}`, [3, H], weight(`${ours}${l}.p`, [3, H]).data.slice());
    }
  };
  stack('enc', 'encoder');
  if (bidirectional) stack('encb', 'encoder_reverse');
  stack('dec', 'decoder');
  if (attention === 'dot') add('attention.weight', [E, H], transpose(weight('att.W', [H, E])));
  if (attention === 'additive') {
    add('attention.key.weight', [H, E], transpose(weight('att.W1', [E, H])));
    add('attention.query.weight', [H, H], transpose(weight('att.W2', [H, H])));
    add('attention.v.weight', [1, H], weight('att.v', [H]).data.slice());
  }
  if (attention !== 'none') {
    add('combine.weight', [H, E + H], transpose(weight('comb.W', [E + H, H])));
    add('combine.bias', [H], weight('comb.b', [H]).data.slice());
  }
  add('out.weight', [V, H], transpose(weight('out.W', [H, V])));
  add('out.bias', [V], weight('out.b', [V]).data.slice());
  const extra = c.weights.find((w) => !used.has(w.name));
  if (extra) throw new ExportError(`the checkpoint has a weight "${extra.name}" that this ${cell} model with ${attention} attention does not`);

  const metadata: Record<string, string> = {
    format: 'lstm-lab-torch',
    format_version: String(TORCH_EXPORT_VERSION),
    model: 'seq2seq',
    torch_module: layout.module,
    cell,
    gate_order: layout.exported.join(','),
    equations: layout.equations,
    input: 'one_hot',
    num_layers: String(L),
    hidden_size: String(H),
    vocab_size: String(V),
    attention,
    bidirectional: String(bidirectional),
    decoder_start: DECODER_START,
    unknown_token_id: '0',
    pad_token_id: String(PAD_ID),
    bos_token_id: String(BOS_ID),
    eos_token_id: String(EOS_ID),
    max_source: String(shape.maxSource),
    max_decode_steps: String(2 * shape.maxTarget + 10),
    config: JSON.stringify(c.config),
    vocab: JSON.stringify({ mode: c.vocab.mode, tokens }),
    created_at: c.createdAt,
  };
  if (layout.module === 'RNN') metadata.nonlinearity = 'tanh';
  return { tensors, metadata };
}
