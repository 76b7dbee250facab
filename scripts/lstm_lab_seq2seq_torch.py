#!/usr/bin/env python3
"""An LSTM Lab sequence-to-sequence export (docs/export.md, "Sequence to sequence") in PyTorch:
the encoder, reverse encoder and decoder as torch.nn.LSTM / torch.nn.RNN (or lstm_lab_torch's
LabCells for the other cells), attention, combination and output layers as torch.nn.Linear, all
loaded with load_state_dict(strict=True) from the file alone.

    python scripts/lstm_lab_seq2seq_torch.py pairs.safetensors --translate "stressed"
    python scripts/lstm_lab_seq2seq_torch.py pairs.safetensors --train pairs.txt --steps 500 --save tuned.safetensors
    python scripts/lstm_lab_seq2seq_torch.py pairs.safetensors --check --translate "stressed"   # torch vs numpy

Training goes on where LSTM Lab stopped: teacher forcing, batches of pairs whose sources have one
length, padded targets left out of the loss, Adam with the run's learning rate and clipping; CUDA
when available. `--save` writes the same layout back (metadata kept).
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ left beside the scripts
from lstm_lab_numpy import write_safetensors  # noqa: E402
from lstm_lab_seq2seq_numpy import Seq2SeqExport  # noqa: E402
from lstm_lab_torch import LabCells  # noqa: E402


def stack(ex):
    """One recurrent stack of the export's cell, reading one-hot tokens."""
    V, H, L = ex.vocab_size, ex.hidden, ex.layers
    if ex.module == "LSTM":
        return nn.LSTM(V, H, L)
    if ex.module == "RNN":
        return nn.RNN(V, H, L, nonlinearity=ex.nonlinearity)
    return LabCells(ex.cell, ex.gate_order, V, H, L)


class Additive(nn.Module):
    """score(t, i) = v(tanh(key(h_i) + query(s_t)))."""

    def __init__(self, E, H):
        super().__init__()
        self.key = nn.Linear(E, H, bias=False)
        self.query = nn.Linear(H, H, bias=False)
        self.v = nn.Linear(H, 1, bias=False)

    def forward(self, S, enc):
        keys = self.key(enc).transpose(0, 1)[:, None]  # [B, 1, Ts, H]
        queries = self.query(S).transpose(0, 1)[:, :, None]  # [B, Tt, 1, H]
        return self.v(torch.tanh(keys + queries)).squeeze(-1)  # [B, Tt, Ts]


class Seq2Seq(nn.Module):
    """Source ids [Ts, B] and decoder inputs [Tt, B] -> logits [Tt, B, V] and attention [B, Tt, Ts]."""

    def __init__(self, ex):
        super().__init__()
        V, H = ex.vocab_size, ex.hidden
        E = 2 * H if ex.bidirectional else H
        self.vocab_size, self.kind, self.bidirectional = V, ex.attention, ex.bidirectional
        self.encoder = stack(ex)
        if ex.bidirectional:
            self.encoder_reverse = stack(ex)
        self.decoder = stack(ex)
        if ex.attention == "dot":
            self.attention = nn.Linear(H, E, bias=False)
        elif ex.attention == "additive":
            self.attention = Additive(E, H)
        if ex.attention != "none":
            self.combine = nn.Linear(E + H, H)
        self.out = nn.Linear(H, V)

    def one_hot(self, ids):
        return F.one_hot(ids, self.vocab_size).float()

    def encode(self, src):
        """Encoder outputs [Ts, B, E] and the decoder's start state."""
        enc, state = self.encoder(self.one_hot(src))
        if self.bidirectional:
            back, rstate = self.encoder_reverse(self.one_hot(torch.flip(src, [0])))
            enc = torch.cat([enc, torch.flip(back, [0])], -1)
            state = tuple(a + b for a, b in zip(state, rstate)) if isinstance(state, tuple) else state + rstate
        return enc, state

    def head(self, S, enc):
        if self.kind == "none":
            return self.out(S), None
        if self.kind == "dot":
            scores = torch.einsum("tbe,sbe->bts", self.attention(S), enc)
        else:
            scores = self.attention(S, enc)
        alpha = torch.softmax(scores, -1)
        context = torch.einsum("bts,sbe->tbe", alpha, enc)
        return self.out(torch.tanh(self.combine(torch.cat([context, S], -1)))), alpha

    def forward(self, src, dec_in):
        enc, state = self.encode(src)
        S, _ = self.decoder(self.one_hot(dec_in), state)
        return self.head(S, enc)


def load(path, device="cpu"):
    ex = Seq2SeqExport(path)
    model = Seq2Seq(ex)
    model.load_state_dict({k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in ex.t.items()}, strict=True)
    return ex, model.to(device)


@torch.no_grad()
def translate(ex, model, source_ids):
    """Greedy decoding of one source: (ids, each one's probability, attention rows)."""
    model.eval()
    device = next(model.parameters()).device
    enc, state = model.encode(torch.tensor(source_ids, device=device)[:, None])
    prev, ids, probs, att = ex.bos, [], [], []
    for _ in range(ex.max_steps):
        S, state = model.decoder(model.one_hot(torch.tensor([[prev]], device=device)), state)
        logits, alpha = model.head(S, enc)
        p = torch.softmax(logits[0, 0].double(), -1)
        token = int(torch.argmax(p))
        ids.append(token)
        probs.append(float(p[token]))
        if alpha is not None:
            att.append(alpha[0, 0].double().cpu().tolist())
        if token == ex.eos:
            break
        prev = token
    return ids, probs, att


def read_pairs(path):
    """Pairs of a file as LSTM Lab reads it: source TAB target per line (or source => target
    when no line has a tab). Blank lines, lines without exactly one separator and lines with an
    empty side are skipped. Every pair is trained on (LSTM Lab holds the last 10% out)."""
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().replace("\r\n", "\n").replace("\r", "\n").split("\n")
    sep = "\t" if any("\t" in line for line in lines) else " => "
    pairs = []
    for line in lines:
        parts = line.split(sep)
        if len(parts) == 2 and parts[0].strip() and parts[1].strip():
            pairs.append((parts[0], parts[1]))
    return pairs


def train(ex, model, pairs, steps, batch, lr, clip, log_every=50, seed=1):
    """Teacher forcing on batches of pairs with one source length; padding is not in the loss."""
    device = next(model.parameters()).device
    pad = int(ex.meta["pad_token_id"])
    by_length = {}
    for source, target in pairs:
        s, t = ex.encode(source), ex.encode(target)
        if s:
            by_length.setdefault(len(s), []).append((s, t))
    for n in [n for n in by_length if n > ex.max_source]:
        print(f"note: {len(by_length.pop(n))} pairs with sources of {n} tokens skipped (LSTM Lab reads at most {ex.max_source})")
    groups = list(by_length.values())
    if not groups:
        raise SystemExit("no pair has a source LSTM Lab can read")
    rng = random.Random(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    start, losses = time.time(), []
    for step in range(1, steps + 1):
        group = rng.choices(groups, weights=[len(g) for g in groups])[0]
        chosen = [group[rng.randrange(len(group))] for _ in range(batch)]
        Tt = max(len(t) for _, t in chosen) + 1
        src = torch.tensor([s for s, _ in chosen], device=device).T
        dec_in = torch.tensor([[ex.bos] + t + [pad] * (Tt - 1 - len(t)) for _, t in chosen], device=device).T
        dec_out = torch.tensor([t + [ex.eos] + [pad] * (Tt - 1 - len(t)) for _, t in chosen], device=device).T
        logits, _ = model(src, dec_in)
        loss = F.cross_entropy(logits.reshape(-1, ex.vocab_size), dec_out.reshape(-1), ignore_index=pad)
        opt.zero_grad()
        loss.backward()
        if clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        losses.append(loss.item())
        if step % log_every == 0 or step == steps:
            print(f"step {step:6d}  loss {loss.item():.4f} nats per target token  {time.time() - start:.0f} s")
    model.eval()
    return losses


def save(ex, model, path):
    tensors = {k: v.detach().cpu().float().numpy() for k, v in model.state_dict().items()}
    write_safetensors(path, tensors, dict(ex.meta, trained_further="pytorch"))


def check(ex, model, source):
    """Whether torch writes what the numpy decoder writes, and the largest difference between
    their probabilities and attention weights."""
    ids = ex.encode(source)
    t_ids, t_probs, t_att = translate(ex, model, ids)
    n_ids, n_probs, n_att = ex.greedy(ids)
    same = t_ids == n_ids
    diff = float(np.abs(np.array(t_probs) - np.array(n_probs)).max()) if same else math.inf
    if same and t_att:
        diff = max(diff, float(np.abs(np.array(t_att) - np.array(n_att)).max()))
    return {"same_ids": same, "max_abs_diff": diff, "torch": ex.decode(t_ids), "numpy": ex.decode(n_ids)}


def source_ids(ex, text, ap):
    """A source's ids, refused (as LSTM Lab refuses it) when empty or longer than the model reads."""
    ids = ex.encode(text)
    if not ids:
        ap.error("the source has no tokens")
    if len(ids) > ex.max_source:
        ap.error(f"the source has {len(ids)} tokens; this model reads at most {ex.max_source}")
    return ids


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("export", help="an .safetensors file written by `lstm-lab export` from a sequence-to-sequence checkpoint")
    ap.add_argument("--translate", metavar="SOURCE", help="decode this source")
    ap.add_argument("--check", action="store_true", help="compare torch with the numpy decoder on --translate's source and exit")
    ap.add_argument("--train", metavar="PAIRS", help="go on training on this file of pairs")
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--batch", type=int, default=None, help="pairs per batch (default: the run's)")
    ap.add_argument("--lr", type=float, default=None, help="Adam learning rate (default: the run's)")
    ap.add_argument("--save", metavar="PATH", help="write the trained model here, in the same layout")
    ap.add_argument("--device", default=None, help="default: cuda when available; cpu for --check (float32 without TF32)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    a.device = a.device or ("cuda" if torch.cuda.is_available() and not a.check else "cpu")
    torch.manual_seed(a.seed)
    ex, model = load(a.export, a.device)
    print(f"{a.export}: {ex.cell} {ex.layers}x{ex.hidden} encoder-decoder, attention {ex.attention}"
          f"{', bidirectional' if ex.bidirectional else ''}, vocabulary {ex.vocab_size} ({ex.mode}), on {a.device}", file=sys.stderr)
    if a.check:
        source = a.translate or "".join(ex.tokens[4:10])
        source_ids(ex, source, ap)
        result = check(ex, model, source)
        print(json.dumps(result))
        sys.exit(0 if result["same_ids"] and result["max_abs_diff"] < 1e-5 else 1)
    if a.train:
        cfg = ex.config
        losses = train(ex, model, read_pairs(a.train), a.steps, a.batch or int(cfg.get("batchSize", 64)),
                       a.lr or float(cfg.get("learningRate", 5e-3)), float(cfg.get("clipNorm", 5.0)), seed=a.seed)
        print(json.dumps({"first_loss": losses[0], "last_loss": float(np.mean(losses[-10:]))}), file=sys.stderr)
        if a.save:
            save(ex, model, a.save)
            print(f"saved {a.save}", file=sys.stderr)
    if a.translate:
        print(ex.decode(translate(ex, model, source_ids(ex, a.translate, ap))[0]))


if __name__ == "__main__":
    main()
