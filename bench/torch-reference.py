"""PyTorch reference for bench/wasm-matmul.bench.mjs and bench/parallel.bench.mjs: the MLP
784-512-512-10 and the conv autoencoder, trained on all cores (or on the thread count given as
the fourth argument), samples/s as one JSON line. Optional: the benchmarks run it only when
torch imports; nothing in the test suite or CI needs Python."""
import json
import os
import sys
import time

import torch
from torch import nn

torch.manual_seed(0)


def rate(step, batch, seconds):
    for _ in range(3):
        step()
    steps, t0 = 0, time.perf_counter()
    while steps < 5 or time.perf_counter() - t0 < seconds:
        step()
        steps += 1
    return steps * batch / (time.perf_counter() - t0)


def mlp_sps(batch, seconds):
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.rand(batch, 784)
    y = torch.randint(0, 10, (batch,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return rate(step, batch, seconds)


def ae_sps(batch, seconds):
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Upsample(scale_factor=2, mode='nearest'), nn.Conv2d(16, 1, 3, padding=1), nn.Sigmoid())
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    x = torch.rand(batch, 1, 28, 28)

    def step():
        opt.zero_grad()
        nn.functional.mse_loss(model(x), x).backward()
        opt.step()
    return rate(step, batch, seconds)


if __name__ == '__main__':
    mlp_batch, ae_batch, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    print(json.dumps({'threads': threads, 'torch': torch.__version__,
                      'mlp_sps': mlp_sps(mlp_batch, seconds), 'ae_sps': ae_sps(ae_batch, seconds)}))
