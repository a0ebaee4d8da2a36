"""ConvNet (porous problem): porosity image (batch, x, y) -> failure point (batch, 2).

Four stride-2 3x3 conv blocks (16-32-64-128 channels, ELU), global average pool, then an
MLP 128 -> 64 -> 2. The output is the point in [0, 1]² (unconstrained linear head).
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from uqbench.models.layers import MLP


class ConvNet(nn.Module):
    def __init__(self, channels: list[int] | None = None, out: int = 2) -> None:
        super().__init__()
        channels = list(channels or [16, 32, 64, 128])
        self.init_args = {"channels": channels, "out": out}
        sizes = [1, *channels]
        self.convs = nn.ModuleList(
            nn.Conv2d(a, b, kernel_size=3, stride=2, padding=1)
            for a, b in itertools.pairwise(sizes)
        )
        self.head = MLP([channels[-1], 64, out])

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        x = img.unsqueeze(-3)  # (batch, 1, x, y)
        for conv in self.convs:
            x = nn.functional.elu(conv(x))
        return self.head(x.mean(dim=(-2, -1)))
