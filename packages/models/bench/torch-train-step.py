#!/usr/bin/env python3
"""PyTorch's side of the models bench: one training step of a decoder shaped like TinyVLM's.

Written for the bench (not translated from TinyVLM): token and learned position embeddings,
pre-norm blocks with a fused QKV projection, causal attention, an MLP with the sigmoid
approximation of GELU (x * sigmoid(1.702 x), TinyVLM's), a final norm and an output head tied to
the token embedding; cross-entropy over every position, AdamW (weight decay 0.1) at 1e-3. The
same token ids as the TensorFlow.js bench. Prints one JSON line.

  python3 torch-train-step.py '{"width":128,"layers":2,"heads":4,"mlp":512,"vocab":256,"batch":8,"steps":96,"repeats":10,"threads":2}'
"""
import json
import sys
import time

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, width, heads, mlp):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.fc = nn.Linear(width, mlp)
        self.out = nn.Linear(mlp, width)

    def forward(self, x, mask):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=-1)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / (c // self.heads) ** 0.5 + mask
        attended = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, c)
        x = x + self.proj(attended)
        h = self.fc(self.ln2(x))
        return x + self.out(h * torch.sigmoid(1.702 * h))


class Decoder(nn.Module):
    def __init__(self, vocab, width, layers, heads, mlp, steps):
        super().__init__()
        self.tokens = nn.Embedding(vocab, width)
        self.positions = nn.Embedding(steps, width)
        self.blocks = nn.ModuleList(Block(width, heads, mlp) for _ in range(layers))
        self.ln = nn.LayerNorm(width)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.tokens(ids) + self.positions.weight[:t]
        mask = torch.full((t, t), float('-inf')).triu(1)
        for block in self.blocks:
            x = block(x, mask)
        return self.ln(x) @ self.tokens.weight.T


def main():
    c = json.loads(sys.argv[1])
    # Intra-op threads: the bench asks for 1 and for the threads TensorFlow.js gets. (Debian's
    # torch starts with 1 here, not one per core.)
    if 'threads' in c:
        torch.set_num_threads(c['threads'])
    batch, steps, vocab = c['batch'], c['steps'], c['vocab']
    torch.manual_seed(0)
    model = Decoder(vocab, c['width'], c['layers'], c['heads'], c['mlp'], steps)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    # The TensorFlow.js bench's ids and targets: ((i * 31) mod (V - 16)) + 8 and ((i * 17) mod (V - 16)) + 8.
    index = torch.arange(batch * steps)
    ids = ((index * 31) % (vocab - 16) + 8).view(batch, steps)
    targets = ((index * 17) % (vocab - 16) + 8).view(batch, steps)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(ids).view(-1, vocab), targets.view(-1))
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(2):
        step()
    repeats = c.get('repeats', 10)
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({
        'bench': 'torch-train-step',
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'tokensPerSecond': round(repeats * batch * steps / seconds, 1),
        'msPerStep': round(seconds / repeats * 1000, 1),
    }))


if __name__ == '__main__':
    main()
