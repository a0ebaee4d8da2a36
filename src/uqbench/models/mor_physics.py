"""MOR-Physics-style 1D operator (elu problem): v = F⁻¹[ g(k) · F[h(u)] ].

h is a pointwise MLP (1 -> w -> w -> C) applied at every grid point; g is an MLP of the
normalised wavenumber (1 -> w -> w -> 2C) giving a complex multiplier per wavenumber and
output channel. The true elu operator (A exp(-(ℓk)²) F[ELU(u)]) is in this class, so a
perfect UQ method can match the data distribution exactly. ``channels`` > 1 adds output
channels (e.g. a log-variance head); ``dropout`` drops hidden units of h and g.
"""

from __future__ import annotations

import torch
from torch import nn

from uqbench.models.layers import MLP, Sparse, mlp_draws


class MORPhysics(nn.Module):
    """Input (batch, x) -> output (batch, x), or (batch, channels, x) when channels > 1."""

    # the output layer: the part decu trains per member on the frozen rest
    HEAD = ("h.layers.2",)
    NO_DECAY: tuple[str, ...] = ()

    def __init__(self, grid: int, width: int = 32, channels: int = 1, dropout: float = 0.0):
        super().__init__()
        self.init_args = {"grid": grid, "width": width, "channels": channels, "dropout": dropout}
        self.grid, self.channels, self.dropout = grid, channels, dropout
        self.h = MLP([1, width, width, channels], dropout)
        self.g = MLP([1, width, width, 2 * channels], dropout)
        k = torch.arange(grid // 2 + 1, dtype=torch.float32)
        self.register_buffer("k", (k / k[-1])[:, None], persistent=False)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        hu = self.h(u[..., None]).movedim(-1, -2)  # (batch, C, x)
        k, groups = self.k, self.g.mask_groups
        if self.dropout > 0 and self.training:
            # a dropout mask of g per input; with masks shared by G groups of the batch
            # (``layers.shared_masks``) g runs once per group: (G, 1, k, 1)
            k = k.expand(groups, 1, *k.shape) if groups else k.expand(*u.shape[:-1], *k.shape)
        gk = self.g(k).movedim(-1, -2)  # (..., 2C, k): real and imaginary parts
        mult = torch.complex(gk[..., : self.channels, :], gk[..., self.channels :, :])
        spec = torch.fft.rfft(hu, dim=-1)
        grouped = self.dropout > 0 and self.training and groups
        if grouped:  # (G, batch/G, C, k) against g's (G, 1, C, k)
            spec = spec.unflatten(0, (groups, -1))
        v = torch.fft.irfft(spec * mult, n=self.grid, dim=-1)
        if grouped:
            v = v.flatten(0, 1)
        return v[..., 0, :] if self.channels == 1 else v

    def forward_draws(self, u: torch.Tensor, sparse: dict[str, Sparse]) -> torch.Tensor:
        """Outputs (draw, batch, x) for draws that perturb a few weights of h and g
        (``layers.linear_draws``: the shared products are computed once). channels must be 1."""
        n_draw = next(iter(sparse.values()))[1].shape[0]
        hu, h_draw = mlp_draws(self.h, u[..., None], sparse, "h.")
        gk, g_draw = mlp_draws(self.g, self.k, sparse, "g.")
        hu = hu[..., 0] if h_draw else hu[..., 0].expand(n_draw, *u.shape)  # (draw, batch, x)
        if not g_draw:
            gk = gk.expand(n_draw, *gk.shape)
        mult = torch.complex(gk[..., 0], gk[..., 1])[:, None]  # (draw, 1, k)
        return torch.fft.irfft(torch.fft.rfft(hu, dim=-1) * mult, n=self.grid, dim=-1)
