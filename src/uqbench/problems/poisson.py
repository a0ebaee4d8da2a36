"""poisson: stochastic Poisson equation -div(κ grad u) = f on (0,1)^dim, u = 0 on the boundary.

Input: the forcing f, a Gaussian random field on the n^dim interior nodes (squared-exponential,
length 0.2, variance 1; OOD: length 0.05). Unobserved conductivity κ = exp(g), g a Gaussian
random field on all (n+2)^dim nodes (length 0.1, variance 0.5), drawn per (case, realization):
it makes f ↦ u stochastic. Solved with the finite-difference solver of ``uqbench.pde.poisson``
(``solve_each``: one system per draw, all of a chunk by vectorised conjugate gradients).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from uqbench.pde import FieldSpec, sample_field, solve_each
from uqbench.problems.base import Problem, Sizes, check_ladder, random_flags, where_cases

if TYPE_CHECKING:
    import torch
    from torch import nn

_SYSTEMS_PER_CHUNK = 4096  # (case, realization) systems per chunk of conductivity draws


@dataclass(frozen=True)
class FieldSettings:
    kernel: str = "squared_exponential"
    length: float = 0.2
    variance: float = 1.0

    def spec(self, length: float | None = None) -> FieldSpec:
        return FieldSpec(self.kernel, self.length if length is None else length, self.variance)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PoissonSettings:
    dim: int = 2
    n: int = 32
    forcing: FieldSettings = field(default_factory=FieldSettings)
    # per shift rung: shorter forcing correlation lengths (rougher forcing)
    shift_forcing_length: tuple[float, ...] = (0.1, 0.05, 0.025)
    log_conductivity: FieldSettings = field(
        default_factory=lambda: FieldSettings(length=0.1, variance=0.5)
    )
    sizes: Sizes = field(default_factory=lambda: Sizes(train=2000))

    def __post_init__(self) -> None:
        if self.dim not in (1, 2):
            raise ValueError(f"data.poisson.dim must be 1 or 2, got {self.dim}")
        if self.n < 2:
            raise ValueError(f"data.poisson.n must be >= 2, got {self.n}")
        check_ladder("poisson", shift_forcing_length=self.shift_forcing_length)


class Poisson(Problem):
    name = "poisson"
    Settings = PoissonSettings
    model = "deeponet:PODDeepONet"

    @classmethod
    def build_model(
        cls, inputs: torch.Tensor, outputs: torch.Tensor, channels: int = 1, dropout: float = 0.0
    ) -> nn.Module:
        shapes = list(inputs.shape[1:]), list(outputs.shape[1:])
        model = cls.model_class()(*shapes, channels=channels, dropout=dropout)
        model.fit_bases(inputs, outputs)
        return model

    def __init__(self, settings: object = None) -> None:
        super().__init__(settings)
        dims = ("x", "y")[: self.settings.dim]
        self.input_dims = dims
        self.output_dims = dims
        self.output_kind = "curve" if self.settings.dim == 1 else "field"

    @staticmethod
    def augment(
        inputs: torch.Tensor, outputs: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The symmetries of the square (interval): reflections in x and y and the diagonal
        (x <-> y), each drawn per case; together they give all 8 of the square's. Both
        random fields are isotropic and stationary and the boundary is the same on every
        side, so u(g·x) solves the problem with forcing f(g·x) for another draw of κ.
        inputs and outputs (case, x[, y]) on the same grid."""
        moves = (
            (lambda t: t.flip(-1),)
            if inputs.dim() == 2
            else (lambda t: t.flip(-2), lambda t: t.flip(-1), lambda t: t.transpose(-2, -1))
        )
        flags = random_flags(inputs.shape[0], len(moves), generator, inputs.device)
        for k, move in enumerate(moves):
            inputs = where_cases(flags[:, k], move(inputs), inputs)
            outputs = where_cases(flags[:, k], move(outputs), outputs)
        return inputs, outputs

    def _nodes(self) -> np.ndarray:
        n = self.settings.n
        return np.arange(n + 2) / (n + 1)  # x_i = i·h including the boundary nodes

    def coords(self) -> dict[str, np.ndarray]:
        inner = self._nodes()[1:-1]
        return {d: inner for d in self.input_dims}

    def shift_law(self, rung: int) -> str:
        return f"forcing ℓ = {self.settings.shift_forcing_length[rung]:g}"

    def sample_inputs(self, n: int, rng: np.random.Generator, rung: int | None) -> np.ndarray:
        s = self.settings
        spec = s.forcing.spec(None if rung is None else s.shift_forcing_length[rung])
        inner = self._nodes()[1:-1]
        return sample_field(spec, (inner,) * s.dim, n, rng)

    def sample_outputs(
        self, inputs: np.ndarray, n_realizations: int, rng: np.random.Generator
    ) -> np.ndarray:
        s = self.settings
        n_cases = inputs.shape[0]
        out = np.empty((n_cases, n_realizations, *inputs.shape[1:]))
        per_chunk = max(1, _SYSTEMS_PER_CHUNK // n_realizations)
        for c in range(0, n_cases, per_chunk):  # chunks of cases bound the κ fields' memory
            f = inputs[c : c + per_chunk]
            n = f.shape[0] * n_realizations
            g = sample_field(s.log_conductivity.spec(), (self._nodes(),) * s.dim, n, rng)
            rhs = np.repeat(f, n_realizations, axis=0)  # (case·realization, ...)
            u = solve_each(np.exp(g), rhs, dim=s.dim)
            out[c : c + f.shape[0]] = u.reshape(f.shape[0], n_realizations, *f.shape[1:])
        return out
