#!/usr/bin/env python3
"""An LSTM Lab export (`lstm-lab export CKPT --format safetensors`, docs/export.md) in PyTorch:
one-hot tokens -> torch.nn.LSTM / torch.nn.RNN (or, for the cells no torch module computes, the
small modules below) -> torch.nn.Linear, loaded with load_state_dict from the file alone.

    python scripts/lstm_lab_torch.py model.safetensors --prime "To be" --length 300
    python scripts/lstm_lab_torch.py model.safetensors --train corpus.txt --steps 2000 --save tuned.safetensors
    python scripts/lstm_lab_torch.py model.safetensors --check     # torch vs the numpy forward

Training goes on where LSTM Lab stopped (same vocabulary; unknown tokens map to id 0) and uses
CUDA when available. `--save` writes the same layout back (metadata kept), so the numpy reader
and this script read it again; the `rnn.bias_hh_*` then are no longer zero.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ left beside the scripts
from lstm_lab_numpy import UNKNOWN_ID, Export, forward, gru_as_nn_gru, read_safetensors, write_safetensors  # noqa: E402


class LabCells(nn.Module):
    """The cells no torch module computes (gru with its reset before W_hn, noforget, cifg,
    peephole), exactly as the export's metadata "equations" states them; same call signature as
    nn.LSTM with batch_first=False: (x [T, B, D], state) -> (out [T, B, H], state)."""

    def __init__(self, cell, gate_order, input_size, hidden_size, num_layers, dropout=0.0):
        super().__init__()
        self.cell, self.order, self.hidden, self.layers, self.dropout = cell, gate_order, hidden_size, num_layers, dropout
        G = len(gate_order)
        for l in range(num_layers):
            D = input_size if l == 0 else hidden_size
            bound = 1 / math.sqrt(hidden_size)
            self.register_parameter(f"weight_ih_l{l}", nn.Parameter(torch.empty(G * hidden_size, D).uniform_(-bound, bound)))
            self.register_parameter(f"weight_hh_l{l}", nn.Parameter(torch.empty(G * hidden_size, hidden_size).uniform_(-bound, bound)))
            self.register_parameter(f"bias_l{l}", nn.Parameter(torch.zeros(G * hidden_size)))
            if cell == "peephole":
                self.register_parameter(f"weight_peephole_l{l}", nn.Parameter(torch.zeros(3, hidden_size)))

    def step(self, l, zx, h, c):
        U = dict(zip(self.order, getattr(self, f"weight_hh_l{l}").chunk(len(self.order), 0)))
        zx = dict(zip(self.order, zx.chunk(len(self.order), -1)))
        if self.cell == "gru":
            r = torch.sigmoid(zx["r"] + h @ U["r"].T)
            z = torch.sigmoid(zx["z"] + h @ U["z"].T)
            n = torch.tanh(zx["n"] + (r * h) @ U["n"].T)
            return (1 - z) * h + z * n, c
        a = {k: zx[k] + h @ U[k].T for k in self.order}
        g = torch.tanh(a["g"])
        p = getattr(self, f"weight_peephole_l{l}", None)
        if self.cell == "noforget":
            c = c + torch.sigmoid(a["i"]) * g
        elif self.cell == "cifg":
            f = torch.sigmoid(a["f"])
            c = f * c + (1 - f) * g
        else:
            c = torch.sigmoid(a["f"] + p[1] * c) * c + torch.sigmoid(a["i"] + p[0] * c) * g
        o = torch.sigmoid(a["o"] + (p[2] * c if p is not None else 0))
        return o * torch.tanh(c), c

    def forward(self, x, state=None):
        T, B, _ = x.shape
        if state is None:
            zeros = x.new_zeros(self.layers, B, self.hidden)
            state = (zeros, zeros.clone())
        hs, cs = [], []
        for l in range(self.layers):
            if l > 0 and self.training and self.dropout > 0:
                x = F.dropout(x, self.dropout)
            zx = x @ getattr(self, f"weight_ih_l{l}").T + getattr(self, f"bias_l{l}")
            h, c = state[0][l], state[1][l]
            out = []
            for t in range(T):
                h, c = self.step(l, zx[t], h, c)
                out.append(h)
            x = torch.stack(out)
            hs.append(h)
            cs.append(c)
        return x, (torch.stack(hs), torch.stack(cs))


class LanguageModel(nn.Module):
    """ids [T, B] -> one-hot -> recurrent stack -> logits [T, B, V]."""

    def __init__(self, ex, module=None):
        super().__init__()
        V, H, L = ex.vocab_size, ex.hidden, ex.layers
        module = module or ex.module
        dropout = float(ex.meta.get("dropout", "0")) if L > 1 else 0.0
        self.vocab_size = V
        if module == "LSTM":
            self.rnn = nn.LSTM(V, H, L, dropout=dropout)
        elif module == "RNN":
            self.rnn = nn.RNN(V, H, L, nonlinearity=ex.nonlinearity, dropout=dropout)
        elif module == "GRU":
            self.rnn = nn.GRU(V, H, L, dropout=dropout)
        else:
            self.cell = LabCells(ex.cell, ex.gate_order, V, H, L, dropout)
        self.decoder = nn.Linear(H, V)

    def recurrent(self):
        return self.rnn if hasattr(self, "rnn") else self.cell

    def forward(self, ids, state=None):
        # One-hot input, so weight_ih_l0 column j is token j's input projection (docs/export.md).
        out, state = self.recurrent()(F.one_hot(ids, self.vocab_size).float(), state)
        return self.decoder(out), state


def load(path, device="cpu"):
    ex = Export(path)
    model = LanguageModel(ex)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ex.tensors.items()}, strict=True)
    return ex, model.to(device)


def is_seq2seq(path):
    """Whether the export holds an encoder-decoder (metadata model=seq2seq)."""
    return read_safetensors(path)[1].get("model") == "seq2seq"


@torch.no_grad()
def generate(ex, model, prime, length, temperature=1.0, seed=1):
    device = next(model.parameters()).device
    gen = torch.Generator(device="cpu").manual_seed(seed)
    model.eval()
    ids = ex.encode(prime) or [int(torch.randint(1, ex.vocab_size, (1,), generator=gen))]
    logits, state = model(torch.tensor(ids, device=device).unsqueeze(1))
    out = []
    for _ in range(length):
        p = torch.softmax(logits[-1, 0].double().cpu() / max(temperature, 1e-3), -1)
        p[UNKNOWN_ID] = 0  # the unknown token is never drawn, as in LSTM Lab
        token = int(torch.multinomial(p, 1, generator=gen))
        out.append(token)
        logits, state = model(torch.tensor([[token]], device=device), state)
    return ex.decode(out)


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def train(ex, model, text, steps, seq=64, batch=32, lr=2e-3, clip=1.0, log_every=100):
    """Truncated BPTT over `batch` parallel streams of the corpus, the state carried across windows."""
    device = next(model.parameters()).device
    data = torch.tensor(ex.encode(text), dtype=torch.long)
    per = (len(data) - 1) // batch
    if per < seq + 1:
        raise SystemExit(f"the corpus has {len(data)} tokens: too few for {batch} streams of {seq + 1}")
    streams = data[: per * batch + 1]
    x_all = streams[:-1].view(batch, per).T.to(device)  # [per, B]
    y_all = streams[1:].view(batch, per).T.to(device)
    unknown = int((data == UNKNOWN_ID).sum())
    if unknown:
        print(f"note: {unknown} of {len(data)} tokens are not in the vocabulary (id {UNKNOWN_ID})")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    state, pos, start = None, 0, time.time()
    for step in range(1, steps + 1):
        if pos + seq > per:
            state, pos = None, 0
        x, y = x_all[pos:pos + seq], y_all[pos:pos + seq]
        pos += seq
        logits, state = model(x, state)
        state = detach(state)
        loss = F.cross_entropy(logits.reshape(-1, ex.vocab_size), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        if clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        if step % log_every == 0 or step == steps:
            print(f"step {step:6d}  loss {loss.item():.4f} nats  {loss.item() / math.log(2):.3f} bits/token  {time.time() - start:.0f} s")
    model.eval()


def save(ex, model, path):
    tensors = {k: v.detach().cpu().float().numpy() for k, v in model.state_dict().items()}
    write_safetensors(path, tensors, dict(ex.meta, trained_further="pytorch"))


def check(ex, model, text):
    """Largest difference between torch's and the numpy forward's next-token probabilities; for a
    gru export also between torch.nn.GRU and the numpy nn.GRU equations on gru_as_nn_gru's weights."""
    ids = ex.encode(text) or [1, 2, 3]
    device = next(model.parameters()).device

    def torch_probs(m):
        with torch.no_grad():
            logits, _ = m.eval()(torch.tensor(ids, device=device).unsqueeze(1))
        return torch.softmax(logits[:, 0].double(), -1).cpu().numpy()

    diff = float(np.abs(torch_probs(model) - forward(ex, ids)[0]).max())
    if ex.cell == "gru":
        tensors = gru_as_nn_gru(ex)
        nn_gru = LanguageModel(ex, module="GRU")
        nn_gru.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in tensors.items()}, strict=True)
        p_numpy, _ = forward(ex, ids, tensors=tensors, module="GRU")
        diff = max(diff, float(np.abs(torch_probs(nn_gru.to(device)) - p_numpy).max()))
    return diff


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("export", help="an .safetensors file written by `lstm-lab export`")
    ap.add_argument("--prime", default="", help="text the model reads before generating")
    ap.add_argument("--length", type=int, default=300, help="tokens to generate (0: none)")
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--train", metavar="CORPUS", help="go on training on this text file")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--seq", type=int, default=None, help="BPTT window (default: the run's)")
    ap.add_argument("--batch", type=int, default=None, help="parallel streams (default: the run's)")
    ap.add_argument("--lr", type=float, default=None, help="Adam learning rate (default: the run's)")
    ap.add_argument("--save", metavar="PATH", help="write the trained model here, in the same layout")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--check", action="store_true", help="compare torch with the numpy forward and exit")
    ap.add_argument("--translate", metavar="SOURCE", help="sequence-to-sequence exports: decode this source (they run in lstm_lab_seq2seq_torch.py)")
    a = ap.parse_args(argv)
    torch.manual_seed(a.seed)
    if is_seq2seq(a.export):
        import lstm_lab_seq2seq_torch
        lstm_lab_seq2seq_torch.main(argv if argv is not None else sys.argv[1:])
        return
    if a.translate:
        ap.error("--translate decodes with sequence-to-sequence exports; this one holds a language model (use --prime)")
    ex, model = load(a.export, a.device)
    print(f"{a.export}: {ex.cell} {ex.layers}x{ex.hidden}, vocabulary {ex.vocab_size} ({ex.mode}), "
          f"{type(model.recurrent()).__name__} on {a.device}", file=sys.stderr)
    if a.check:
        diff = check(ex, model, a.prime or "".join(ex.tokens[1:8]))
        print(json.dumps({"max_abs_diff": diff}))
        sys.exit(0 if diff < 1e-5 else 1)
    if a.train:
        with open(a.train, encoding="utf-8") as f:
            text = f.read()
        cfg = ex.config
        train(ex, model, text, a.steps, seq=a.seq or int(cfg.get("seqLength", 64)), batch=a.batch or int(cfg.get("batchSize", 32)),
              lr=a.lr or float(cfg.get("learningRate", 2e-3)), clip=float(cfg.get("clipNorm", 1.0)))
        if a.save:
            save(ex, model, a.save)
            print(f"saved {a.save}", file=sys.stderr)
    if a.length > 0:
        print(a.prime + generate(ex, model, a.prime, a.length, a.temperature, a.seed))


if __name__ == "__main__":
    main()
