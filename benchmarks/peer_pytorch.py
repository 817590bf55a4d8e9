"""The peer: the same network and training step in PyTorch, timed on this CPU.

    make peer                                  # a PyTorch venv (.venv-peer), then this and TensorFlow, one run
    .venv-peer/bin/python benchmarks/peer_pytorch.py --widths 48 96 96 --batch 512
    .venv-peer/bin/python benchmarks/peer_pytorch.py --widths 48 96 96 --bf16   # torch.autocast bfloat16

The network of cifar_lib/models/fast.py (2x2 whitening conv, GELU, three groups of conv, max
pool, batch norm, GELU, conv, batch norm, GELU; max pool 3, a bias-free linear head, logits
x 1/9; its whitening filters and batch-norm scales train here, the Keras network has them
fixed or leaves them out), channels_last, SGD with Nesterov momentum 0.85, label-smoothed
cross-entropy, on random pixels (speed does not depend on the data). Two threads unless --threads says
otherwise. Prints one JSON line: median training images/s over the timed steps. PyTorch is not
a dependency of the tutorial: this runs in its own environment.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch
from torch import nn


def conv_group(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.MaxPool2d(2),
        nn.BatchNorm2d(c_out, momentum=0.4),
        nn.GELU(),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out, momentum=0.4),
        nn.GELU(),
    )


class Net(nn.Module):
    def __init__(self, widths: tuple[int, int, int]):
        super().__init__()
        self.whiten = nn.Conv2d(3, 24, 2, padding=0, bias=True)
        self.body = nn.Sequential(
            nn.GELU(),
            conv_group(24, widths[0]),
            conv_group(widths[0], widths[1]),
            conv_group(widths[1], widths[2]),
            nn.MaxPool2d(3),
        )
        self.head = nn.Linear(widths[2], 10, bias=False)

    def forward(self, x):
        x = self.body(self.whiten(x))
        return self.head(torch.amax(x, dim=(2, 3))) / 9


def images_per_second(widths, batch: int, steps: int, bf16: bool) -> float:
    model = Net(widths).to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.85, nesterov=True, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.2)
    x = torch.rand(batch, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,))
    times = []
    for step in range(steps + 2):  # two untimed warm-up steps
        started = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = loss_fn(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step >= 2:
            times.append(time.perf_counter() - started)
    return batch / statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--widths", type=int, nargs=3, default=[48, 96, 96])
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--bf16", action="store_true", help="torch.autocast('cpu', dtype=torch.bfloat16)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    ips = images_per_second(tuple(args.widths), args.batch, args.steps, args.bf16)
    print(
        json.dumps(
            {
                "framework": f"PyTorch {torch.__version__}",
                "widths": args.widths,
                "batch_size": args.batch,
                "precision": "bf16 autocast" if args.bf16 else "fp32",
                "threads": args.threads,
                "train_images_per_s": round(ips, 1),
                "cpu": platform.processor() or platform.machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
