#!/usr/bin/env python3
"""One fine-tuning step of a MiniLM-size BERT encoder in PyTorch eager mode, timed.

The same architecture and step as Anvil's trainer (bench StepTimeBenchmark): Hugging Face BERT
(6 layers, 384 wide, 12 heads, 1536 feed-forward, vocabulary 30522), 16 queries and 16 passages
of 128 tokens, mean pooling, L2 normalisation, MultipleNegativesRankingLoss (scale 20), dropout
0.1, gradient clipping to norm 1, AdamW (lr 2e-5, weight decay 0.01). Written with torch.nn only
(Debian's python3-torch has no transformers). Prints the median step time in milliseconds.

  /usr/bin/python3 bench/python/minilm_step.py [steps] [threads]
"""
import math
import statistics
import sys
import time

import torch
from torch import nn

V, H, L, A, I, P, B, S = 30522, 384, 6, 12, 1536, 512, 16, 128


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(H, H) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(H, eps=1e-12), nn.LayerNorm(H, eps=1e-12)
        self.fc1, self.fc2 = nn.Linear(H, I), nn.Linear(I, H)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, bias):
        b, s, _ = x.shape
        d = H // A
        split = lambda t: t.view(b, s, A, d).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        p = self.drop(torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + bias, dim=-1))
        ctx = (p @ v).transpose(1, 2).reshape(b, s, H)
        x = self.ln1(self.drop(self.o(ctx)) + x)
        return self.ln2(self.drop(self.fc2(nn.functional.gelu(self.fc1(x)))) + x)


class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        self.word, self.pos, self.types = nn.Embedding(V, H), nn.Embedding(P, H), nn.Embedding(2, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.drop = nn.Dropout(0.1)
        self.layers = nn.ModuleList(Layer() for _ in range(L))

    def forward(self, ids, mask):
        pos = torch.arange(ids.shape[1])
        x = self.drop(self.ln(self.word(ids) + self.pos(pos) + self.types(torch.zeros_like(ids))))
        bias = ((1 - mask.float()) * -1e9)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        m = mask.float().unsqueeze(-1)
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return nn.functional.normalize(pooled, dim=-1)


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    model = Bert().train()
    decay = [p for n, p in model.named_parameters() if not n.endswith("bias") and "ln" not in n]
    rest = [p for n, p in model.named_parameters() if n.endswith("bias") or "ln" in n]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}],
        lr=2e-5, eps=1e-6)
    queries = torch.randint(1000, V, (B, S))
    passages = torch.randint(1000, V, (B, S))
    mask = torch.ones(B, S, dtype=torch.long)
    times = []
    for step in range(steps + 2):
        t = time.perf_counter()
        scores = model(queries, mask) @ model(passages, mask).T * 20
        loss = nn.functional.cross_entropy(scores, torch.arange(B))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()
        if step >= 2:
            times.append((time.perf_counter() - t) * 1000)
    print(f"pytorch {torch.__version__} eager, {threads} threads: median step {statistics.median(times):.0f} ms "
          f"(min {min(times):.0f}, max {max(times):.0f}, {steps} steps, batch {B}+{B}, seq {S})")


if __name__ == "__main__":
    main()
