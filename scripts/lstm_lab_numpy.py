#!/usr/bin/env python3
"""An LSTM Lab export (`lstm-lab export CKPT --format safetensors`, docs/export.md) read and run
with numpy alone: no torch needed.

    python3 scripts/lstm_lab_numpy.py model.safetensors --prime "To be" --length 200
    python3 scripts/lstm_lab_numpy.py model.safetensors --ids 3,1,4 --probs   # JSON: p(next) per position

The forward pass follows PyTorch's documented equations for torch.nn.LSTM, torch.nn.GRU and
torch.nn.RNN for the `rnn.*` tensors (the ones those modules load), and the equations written in
the file's metadata for the cells no torch module computes (`cell.*` tensors). The safetensors
file is parsed with the `safetensors` package when it is installed, else by read_safetensors here.
lstm_lab_torch.py builds on this module.
"""
import argparse
import json
import struct
import sys

import numpy as np

FORMAT = "lstm-lab-torch"
FORMAT_VERSION = "1"
UNKNOWN_ID = 0


# ---- safetensors ----

def _read_builtin(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file ({len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: the header claims {n} bytes; the file has {len(data)}")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    base = 8 + n
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {entry['dtype']}; only F32 is read")
        begin, end = entry["data_offsets"]
        values = np.frombuffer(data, dtype="<f4", count=(end - begin) // 4, offset=base + begin)
        tensors[name] = values.astype(np.float32).reshape(entry["shape"])
    return tensors, metadata


def read_safetensors(path):
    """(tensors: name -> float32 array, metadata: str -> str) of a safetensors file."""
    try:
        from safetensors import safe_open
    except ImportError:
        return _read_builtin(path)
    with safe_open(path, framework="numpy") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata() or {})


def write_safetensors(path, tensors, metadata):
    """Writes float32 tensors and str metadata (header padded with spaces to 8 bytes)."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, value in tensors.items():
        blob = np.ascontiguousarray(value, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(np.shape(value)), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# ---- tokens ----

# The engine's word pattern (src/engine/wordTokens.ts); Python's `re` has no \p classes, so the
# exact pattern needs the `regex` package, and a close approximation stands in without it.
_WORD = r"[\p{L}\p{N}\p{M}]+(?:[\u200C\u200D][\p{L}\p{N}\p{M}]+)*|\s+|(?:\p{Regional_Indicator}{2}|.)(?:[\p{M}\p{Emoji_Modifier}\U000E0020-\U000E007F]|\u200D\p{Extended_Pictographic})*"


def tokenize_words(text):
    try:
        import regex
        return regex.findall(_WORD, text, flags=regex.DOTALL)
    except ImportError:
        import re
        return re.findall(r"[^\W_]+|\s+|.", text, flags=re.DOTALL)


class Export:
    """An export's tensors, its configuration and its vocabulary (all from the file alone)."""

    def __init__(self, path):
        self.tensors, self.meta = read_safetensors(path)
        m = self.meta
        if m.get("format") != FORMAT:
            raise ValueError(f"{path}: not an LSTM Lab export (metadata format {m.get('format')!r})")
        if m.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path}: export format version {m.get('format_version')} is not {FORMAT_VERSION}")
        if m.get("model") == "seq2seq":
            raise ValueError(f"{path}: a sequence-to-sequence export; lstm_lab_seq2seq_numpy.py runs it")
        self.cell = m["cell"]
        self.module = m["torch_module"]
        self.layers = int(m["num_layers"])
        self.hidden = int(m["hidden_size"])
        self.vocab_size = int(m["vocab_size"])
        self.gate_order = m.get("gate_order", "").split(",")
        self.nonlinearity = m.get("nonlinearity", "tanh")
        self.config = json.loads(m["config"])
        vocab = json.loads(m["vocab"])
        self.mode, self.tokens = vocab["mode"], vocab["tokens"]
        self.index = {t: i for i, t in enumerate(self.tokens)}

    def encode(self, text):
        parts = list(text) if self.mode == "char" else tokenize_words(text)
        return [self.index.get(t, UNKNOWN_ID) for t in parts]

    def decode(self, ids):
        return "".join(self.tokens[i] for i in ids)


# ---- forward ----

def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def layer_weights(ex, l, tensors=None):
    t = ex.tensors if tensors is None else tensors
    prefix = "cell" if any(k.startswith("cell.") for k in t) else "rnn"
    w = {"W": t[f"{prefix}.weight_ih_l{l}"], "U": t[f"{prefix}.weight_hh_l{l}"]}
    if prefix == "rnn":
        w["b_ih"], w["b_hh"] = t[f"rnn.bias_ih_l{l}"], t[f"rnn.bias_hh_l{l}"]
    else:
        w["b"] = t[f"cell.bias_l{l}"]
        if f"cell.weight_peephole_l{l}" in t:
            w["p"] = t[f"cell.weight_peephole_l{l}"]
    return {k: v.astype(np.float64) for k, v in w.items()}


def torch_step(module, w, x, h, c, nonlinearity="tanh"):
    """One step of torch.nn.LSTM / GRU / RNN, as PyTorch documents them (gate orders i,f,g,o and r,z,n)."""
    if module == "LSTM":
        i, f, g, o = np.split(w["W"] @ x + w["b_ih"] + w["U"] @ h + w["b_hh"], 4)
        i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
        c = f * c + i * g
        return o * np.tanh(c), c
    if module == "GRU":
        xr, xz, xn = np.split(w["W"] @ x + w["b_ih"], 3)
        hr, hz, hn = np.split(w["U"] @ h + w["b_hh"], 3)
        r, z = sigmoid(xr + hr), sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None
    if module == "RNN":
        a = w["W"] @ x + w["b_ih"] + w["U"] @ h + w["b_hh"]
        return (np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)), None
    raise ValueError(f"no torch module {module}")


def cell_step(cell, order, w, x, h, c):
    """One step of a cell no torch module computes, by the equations in the export's metadata."""
    zx = dict(zip(order, np.split(w["W"] @ x + w["b"], len(order))))
    U = dict(zip(order, np.split(w["U"], len(order))))
    if cell == "gru":
        r = sigmoid(zx["r"] + U["r"] @ h)
        z = sigmoid(zx["z"] + U["z"] @ h)
        n = np.tanh(zx["n"] + U["n"] @ (r * h))
        return (1 - z) * h + z * n, None
    a = {k: zx[k] + U[k] @ h for k in order}
    p = w.get("p")
    g = np.tanh(a["g"])
    if cell == "noforget":
        c = c + sigmoid(a["i"]) * g
    elif cell == "cifg":
        f = sigmoid(a["f"])
        c = f * c + (1 - f) * g
    elif cell == "peephole":
        i = sigmoid(a["i"] + p[0] * c)
        f = sigmoid(a["f"] + p[1] * c)
        c = f * c + i * g
    else:
        raise ValueError(f"unknown cell {cell}")
    o = sigmoid(a["o"] + (p[2] * c if p is not None else 0))
    return o * np.tanh(c), c


def zero_state(ex):
    return [(np.zeros(ex.hidden), np.zeros(ex.hidden)) for _ in range(ex.layers)]


def forward(ex, ids, state=None, tensors=None, module=None):
    """p(next token) after each of `ids` [T, V] (float64), and the final state. Layer 0 reads one-hot
    tokens, so W x is column `id` of weight_ih_l0. `tensors`/`module` override the export's own."""
    module = module or ex.module
    state = list(state or zero_state(ex))
    weights = [layer_weights(ex, l, tensors) for l in range(ex.layers)]
    t = ex.tensors if tensors is None else tensors
    dec_W, dec_b = t["decoder.weight"].astype(np.float64), t["decoder.bias"].astype(np.float64)
    probs = []
    for token in ids:
        x = np.zeros(ex.vocab_size)
        x[token] = 1.0
        for l, w in enumerate(weights):
            h, c = state[l]
            if module == "none":
                h, c = cell_step(ex.cell, ex.gate_order, w, x, h, c)
            else:
                h, c = torch_step(module, w, x, h, c, ex.nonlinearity)
            state[l] = (h, c)
            x = h
        logits = dec_W @ x + dec_b
        e = np.exp(logits - logits.max())
        probs.append(e / e.sum())
    return np.array(probs).reshape(len(ids), ex.vocab_size), state


def gru_as_nn_gru(ex):
    """The nearest torch.nn.GRU weights for a `gru` export: NOT the same function. z is negated
    (nn.GRU's z keeps h, ours takes n), but nn.GRU applies r after W_hn (r*(U_n h)) where our GRU
    applies it before (U_n (r*h)); fine-tuning from these is a warm start, not a copy."""
    out = {"decoder.weight": ex.tensors["decoder.weight"], "decoder.bias": ex.tensors["decoder.bias"]}
    H = ex.hidden
    z = slice(ex.gate_order.index("z") * H, (ex.gate_order.index("z") + 1) * H)
    for l in range(ex.layers):
        W, U, b = (ex.tensors[f"cell.{k}_l{l}"].copy() for k in ("weight_ih", "weight_hh", "bias"))
        for a in (W, U, b):
            a[z] = -a[z]
        out.update({f"rnn.weight_ih_l{l}": W, f"rnn.weight_hh_l{l}": U, f"rnn.bias_ih_l{l}": b, f"rnn.bias_hh_l{l}": np.zeros_like(b)})
    return out


def sample(ex, prime, length, temperature=1.0, seed=1):
    rng = np.random.default_rng(seed)
    ids = ex.encode(prime) or [int(rng.integers(1, ex.vocab_size))]
    probs, state = forward(ex, ids)
    p, out = probs[-1], []
    for _ in range(length):
        q = np.power(p, 1.0 / max(temperature, 1e-3))
        q[UNKNOWN_ID] = 0.0  # the unknown token is never drawn, as in the engine
        token = int(rng.choice(len(q), p=q / q.sum()))
        out.append(token)
        probs, state = forward(ex, [token], state)
        p = probs[-1]
    return ex.decode(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("export", help="an .safetensors file written by `lstm-lab export`")
    ap.add_argument("--ids", help="comma-separated token ids to run (instead of --prime)")
    ap.add_argument("--probs", action="store_true", help="print {ids, probs} as JSON instead of generating")
    ap.add_argument("--as-nn-gru", action="store_true", help="gru exports: run nn.GRU's equations on gru_as_nn_gru's weights")
    ap.add_argument("--prime", default="")
    ap.add_argument("--length", type=int, default=200)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    ex = Export(a.export)
    if a.probs:
        ids = [int(s) for s in a.ids.split(",")] if a.ids else ex.encode(a.prime)
        if a.as_nn_gru:
            probs, _ = forward(ex, ids, tensors=gru_as_nn_gru(ex), module="GRU")
        else:
            probs, _ = forward(ex, ids)
        json.dump({"ids": ids, "cell": ex.cell, "torch_module": ex.module, "probs": probs.tolist()}, sys.stdout)
        return
    print(a.prime + sample(ex, a.prime, a.length, a.temperature, a.seed))


if __name__ == "__main__":
    main()
