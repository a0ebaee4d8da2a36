"""POD-DeepONet (poisson problem): u(a) = mean + Σ_k b_k(a) · s_k φ_k.

The trunk is fixed: the top ``modes`` POD modes φ_k of the training outputs (with their
singular-value scale s_k, so the branch outputs b_k are O(1)) plus the training mean. The
branch reads the input through its top ``input_modes`` principal components c (fitted on the
training inputs and whitened, like the trunk a closed-form part of the model), and
b(a) = L c + MLP(c): a linear path L plus an ELU MLP c -> width -> width -> modes whose last
layer starts at zero.

Why not an MLP on the raw n² forcing values (SPEC's branch)? The conditional mean of u given
f is linear in f (E[u | f] = E[A(κ)⁻¹] f), and the targets carry one noisy realization each
(std / |mean| ≈ 0.28): an MLP on 1024 raw inputs memorises that noise within a few epochs and
ends 2-3x worse than a ridge regression on the same inputs (measured), whatever its width,
learning rate or early stopping. The principal components keep > 99.9 % of the forcing's
variance, the linear path carries the linear part at OLS's efficiency, and weight decay on
the MLP (never on L: ``NO_DECAY``) keeps its nonlinear correction from fitting noise.

With ``channels`` > 1 the branch gives one coefficient set per channel; channels after the
first (e.g. a log-variance head) have a learned offset *field* (one value per output point)
instead of the training mean. Not a constant: the POD modes of u all vanish next to the
Dirichlet boundary, so a head built from them plus a constant has one log-variance there
whatever the interior needs, while the true variance falls to 0 at the boundary (with a
constant offset the poisson ensemble's spread was 43x the truth's and its mean 3.5x worse
than the deterministic model's, the NLL being dominated by the boundary-adjacent points).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from uqbench.models.layers import MLP, Sparse, linear_draws, mlp_draws, principal_basis


def _basis(x: torch.Tensor, k: int, what: str) -> tuple[torch.Tensor, ...]:
    mean, vh, scale = principal_basis(x, k)
    if vh.shape[0] < k:
        raise ValueError(f"{what} needs at least {k} training cases, got {x.shape[0]}")
    return mean, vh, scale


class PODDeepONet(nn.Module):
    """Input (batch, *in_shape) -> output (batch, *out_shape) or (batch, C, *out_shape)."""

    # the output layers (linear path and the MLP's last layer): what decu trains per member
    HEAD = ("linear", "branch.layers.2")
    # parameters left out of weight decay: the linear path carries the (linear) conditional
    # mean; the offset field is the log-variance head's bias (a matrix only for its shape:
    # decayed, it was pulled to log σ² = 0 by poisson's weight decay of 1)
    NO_DECAY = ("linear.", "offset")

    def __init__(
        self,
        in_shape: list[int],
        out_shape: list[int],
        modes: int = 32,
        input_modes: int = 32,
        width: int = 128,
        channels: int = 1,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.init_args = {
            "in_shape": list(in_shape),
            "out_shape": list(out_shape),
            "modes": modes,
            "input_modes": input_modes,
            "width": width,
            "channels": channels,
            "dropout": dropout,
        }
        self.in_shape, self.out_shape, self.channels = tuple(in_shape), tuple(out_shape), channels
        n_in, n_out = math.prod(in_shape), math.prod(out_shape)
        self.branch = MLP([input_modes, width, width, modes * channels], dropout)
        self.linear = nn.Linear(input_modes, modes * channels)
        with torch.no_grad():  # the nonlinear correction starts at zero
            self.branch.layers[-1].weight.zero_()
            self.branch.layers[-1].bias.zero_()
        if channels > 1:
            self.offset = nn.Parameter(torch.zeros(channels - 1, n_out))
        # input PCA and trunk: set by fit_bases (saved in the state dict as buffers)
        self.register_buffer("in_mean", torch.zeros(n_in))
        self.register_buffer("in_basis", torch.zeros(input_modes, n_in))
        self.register_buffer("mean", torch.zeros(n_out))
        self.register_buffer("basis", torch.zeros(modes, n_out))

    @torch.no_grad()
    def fit_bases(self, inputs: torch.Tensor, outputs: torch.Tensor) -> None:
        """Input PCA (whitened) and output POD (scaled by s_k/√N) of the training pairs
        inputs (N, *in_shape), outputs (N, *out_shape)."""
        x = inputs.reshape(inputs.shape[0], -1).to(self.in_mean)
        mean, vh, scale = _basis(x, self.in_basis.shape[0], "the input PCA")
        self.in_mean.copy_(mean)
        self.in_basis.copy_(vh / scale.clamp_min(1e-12)[:, None])
        y = outputs.reshape(outputs.shape[0], -1).to(self.mean)
        mean, vh, scale = _basis(y, self.basis.shape[0], "POD")
        self.mean.copy_(mean)
        self.basis.copy_(vh * scale[:, None])

    def encode(self, a: torch.Tensor) -> torch.Tensor:
        """Whitened input principal components (..., input_modes) of inputs (..., *in_shape)."""
        return (a.flatten(-len(self.in_shape)) - self.in_mean) @ self.in_basis.T

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        c = self.encode(a)
        coeff = self.branch(c) + self.linear(c)
        if self.channels == 1:
            return (self.mean + coeff @ self.basis).unflatten(-1, self.out_shape)
        out = coeff.unflatten(-1, (self.channels, -1)) @ self.basis  # (batch, C, n_out)
        shift = torch.cat([self.mean[None], self.offset])
        return (out + shift).unflatten(-1, self.out_shape)

    def forward_draws(self, a: torch.Tensor, sparse: dict[str, Sparse]) -> torch.Tensor:
        """Outputs (draw, batch, *out_shape) for draws that perturb a few branch or linear-path
        weights (``layers.linear_draws``: shared products computed once). channels must be 1."""
        n_draw = next(iter(sparse.values()))[1].shape[0]
        c = self.encode(a)
        coeff, mlp_draw = mlp_draws(self.branch, c, sparse, "branch.")
        lin, lin_draw = linear_draws(
            c, self.linear, sparse.get("linear.weight"), sparse.get("linear.bias"), False
        )
        if not (mlp_draw or lin_draw):
            coeff = coeff.expand(n_draw, *coeff.shape)
        coeff = coeff + lin  # broadcasts a draw-free term over the draws
        return (self.mean + coeff @ self.basis).unflatten(-1, self.out_shape)
