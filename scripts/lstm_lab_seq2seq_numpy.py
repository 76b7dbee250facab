#!/usr/bin/env python3
"""An LSTM Lab sequence-to-sequence export (`lstm-lab export CKPT --format safetensors` of a model
trained with `lstm-lab seq2seq` or Train Seq2Seq on File; docs/export.md) run with numpy alone.

    python3 scripts/lstm_lab_seq2seq_numpy.py model.safetensors --translate "stressed"
    python3 scripts/lstm_lab_seq2seq_numpy.py model.safetensors --translate "stressed" --json

Greedy decoding, as the engine does it: the encoder reads the source, each decoder layer starts
from the matching encoder layer's final state, and at each step the decoder reads the token it
wrote last (the start marker first) until it writes the end marker. The recurrent stacks use the
cell equations of lstm_lab_numpy.py; the attention and output layers are written out below.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lstm_lab_numpy import FORMAT, FORMAT_VERSION, UNKNOWN_ID, cell_step, read_safetensors, tokenize_words, torch_step  # noqa: E402


def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


class Seq2SeqExport:
    """An encoder-decoder export's tensors, sizes and vocabulary (all from the file alone)."""

    def __init__(self, path):
        tensors, m = read_safetensors(path)
        if m.get("format") != FORMAT or m.get("model") != "seq2seq":
            raise ValueError(f"{path}: not an LSTM Lab sequence-to-sequence export (format {m.get('format')!r}, model {m.get('model')!r})")
        if m.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path}: export format version {m.get('format_version')} is not {FORMAT_VERSION}")
        self.t = {k: v.astype(np.float64) for k, v in tensors.items()}
        self.meta = m
        self.cell, self.module = m["cell"], m["torch_module"]
        self.gate_order = m["gate_order"].split(",")
        self.nonlinearity = m.get("nonlinearity", "tanh")
        self.layers, self.hidden, self.vocab_size = int(m["num_layers"]), int(m["hidden_size"]), int(m["vocab_size"])
        self.attention = m["attention"]
        self.bidirectional = m["bidirectional"] == "true"
        self.bos, self.eos = int(m["bos_token_id"]), int(m["eos_token_id"])
        self.max_steps = int(m["max_decode_steps"])
        self.max_source = int(m["max_source"])
        self.config = json.loads(m["config"])
        vocab = json.loads(m["vocab"])
        self.mode, self.tokens = vocab["mode"], vocab["tokens"]
        self.index = {tok: i for i, tok in enumerate(self.tokens)}
        self.markers = {int(m["pad_token_id"]), self.bos, self.eos}

    def encode(self, text):
        # No text token spells a marker: a character is one code point, and words split off "<", ">".
        parts = list(text) if self.mode == "char" else tokenize_words(text)
        return [self.index.get(p, UNKNOWN_ID) for p in parts]

    def decode(self, ids):
        return "".join(self.tokens[i] for i in ids if i not in self.markers)

    def weights(self, stack, l):
        t, p = self.t, f"{stack}."
        w = {"W": t[f"{p}weight_ih_l{l}"], "U": t[f"{p}weight_hh_l{l}"]}
        if self.module == "none":
            w["b"] = t[f"{p}bias_l{l}"]
            if f"{p}weight_peephole_l{l}" in t:
                w["p"] = t[f"{p}weight_peephole_l{l}"]
        else:
            w["b_ih"], w["b_hh"] = t[f"{p}bias_ih_l{l}"], t[f"{p}bias_hh_l{l}"]
        return w

    def step(self, stack, token, state):
        """One step of a stack on a one-hot token; returns the top layer's h and the new state."""
        x = np.zeros(self.vocab_size)
        x[token] = 1.0
        out = []
        for l, (h, c) in enumerate(state):
            w = self.weights(stack, l)
            if self.module == "none":
                h, c = cell_step(self.cell, self.gate_order, w, x, h, c)
            else:
                h, c = torch_step(self.module, w, x, h, c, self.nonlinearity)
            out.append((h, c if c is not None else np.zeros(self.hidden)))
            x = h
        return x, out

    def zero(self):
        return [(np.zeros(self.hidden), np.zeros(self.hidden)) for _ in range(self.layers)]

    def run_encoder(self, ids):
        """The encoder outputs attention reads [Ts, E] and the decoder's start state."""
        state, hs = self.zero(), []
        for token in ids:
            h, state = self.step("encoder", token, state)
            hs.append(h)
        outputs = np.array(hs)
        if self.bidirectional:
            back, hb = self.zero(), []
            for token in reversed(ids):
                h, back = self.step("encoder_reverse", token, back)
                hb.append(h)
            outputs = np.concatenate([outputs, np.array(hb[::-1])], axis=1)
            state = [(hf + hr, cf + cr) for (hf, cf), (hr, cr) in zip(state, back)]
        return outputs, state

    def head(self, s, enc):
        """p(next token) from the decoder's top output s and the encoder outputs, and the attention."""
        t = self.t
        if self.attention == "none":
            return softmax(t["out.weight"] @ s + t["out.bias"]), None
        if self.attention == "dot":
            scores = enc @ (t["attention.weight"] @ s)
        else:
            keys = enc @ t["attention.key.weight"].T
            scores = np.tanh(keys + t["attention.query.weight"] @ s) @ t["attention.v.weight"][0]
        alpha = softmax(scores)
        context = alpha @ enc
        o = np.tanh(t["combine.weight"] @ np.concatenate([context, s]) + t["combine.bias"])
        return softmax(t["out.weight"] @ o + t["out.bias"]), alpha

    def greedy(self, source_ids):
        """Greedy decoding: (ids written, ending with the end marker unless the step limit came
        first; each one's probability; the attention over the source for each, if any)."""
        enc, state = self.run_encoder(source_ids)
        prev, ids, probs, att = self.bos, [], [], []
        for _ in range(self.max_steps):
            s, state = self.step("decoder", prev, state)
            p, alpha = self.head(s, enc)
            token = int(np.argmax(p))
            ids.append(token)
            probs.append(float(p[token]))
            if alpha is not None:
                att.append(alpha.tolist())
            if token == self.eos:
                break
            prev = token
        return ids, probs, att


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("export", help="an .safetensors file written by `lstm-lab export` from a sequence-to-sequence checkpoint")
    ap.add_argument("--translate", required=True, help="the source to decode")
    ap.add_argument("--json", action="store_true", help="print {source_ids, ids, text, probs, attention} as JSON")
    a = ap.parse_args(argv)
    ex = Seq2SeqExport(a.export)
    source = ex.encode(a.translate)
    if not source:
        ap.error("the source has no tokens")
    if len(source) > ex.max_source:
        ap.error(f"the source has {len(source)} tokens; this model reads at most {ex.max_source}")
    ids, probs, att = ex.greedy(source)
    if a.json:
        json.dump({"source_ids": source, "ids": ids, "text": ex.decode(ids), "probs": probs, "attention": att}, sys.stdout)
    else:
        print(ex.decode(ids))


if __name__ == "__main__":
    main()
