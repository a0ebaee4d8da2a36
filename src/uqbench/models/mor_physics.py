"""MOR-Physics-style 1D operator (elu problem): v = F⁻¹[ g(k) · F[h(u)] ].

h is a pointwise MLP (1 -> w -> w -> 1) applied at every grid point; g is an MLP of the
normalised wavenumber (1 -> w -> w -> 2) giving a complex multiplier per wavenumber. The true
elu operator (A exp(-(ℓk)²) F[ELU(u)]) is in this class, so a perfect UQ method can match
the data distribution exactly.
"""

from __future__ import annotations

import torch
from torch import nn

from uqbench.models.layers import MLP


class MORPhysics(nn.Module):
    """Input (batch, x) -> output (batch, x) on a periodic grid of ``grid`` points."""

    def __init__(self, grid: int, width: int = 32) -> None:
        super().__init__()
        self.init_args = {"grid": grid, "width": width}
        self.grid = grid
        self.h = MLP([1, width, width, 1])
        self.g = MLP([1, width, width, 2])
        k = torch.arange(grid // 2 + 1, dtype=torch.float32)
        self.register_buffer("k", (k / k[-1])[:, None], persistent=False)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        hu = self.h(u[..., None])[..., 0]
        gk = self.g(self.k)  # (k, 2): real and imaginary part of the multiplier
        spec = torch.fft.rfft(hu, dim=-1) * torch.complex(gk[:, 0], gk[:, 1])
        return torch.fft.irfft(spec, n=self.grid, dim=-1)
