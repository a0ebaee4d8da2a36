"""elu: manufactured stochastic operator on the periodic interval [0, 2π) (paper 000, §4.1).

Input  u(x) = Σ_{k=1..K} a_k cos kx + b_k sin kx,  a_k, b_k ~ N(0, k^-decay)
Output v = F⁻¹[ A exp(-(ℓk)²) F[ELU(u)] ],  A = exp(σ_A ξ₁),  ℓ = ℓ₀ exp(σ_ℓ ξ₂),  ξ ~ N(0, I)

(A, ℓ) are drawn per realization: the operator itself is random. OOD inputs use more modes
(K = 16) with slower decay (variance k^-1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from uqbench.problems.base import Problem, Sizes, check_ladder

if TYPE_CHECKING:
    import torch
    from torch import nn


@dataclass(frozen=True)
class EluSettings:
    grid: int = 128
    modes: int = 8
    decay: float = 2.0
    shift_modes: tuple[int, ...] = (12, 16, 24)  # per shift rung: more modes ...
    shift_decay: tuple[float, ...] = (1.5, 1.0, 0.5)  # ... with slower decay (rougher)
    amplitude_log_std: float = 0.2
    length: float = 0.3
    length_log_std: float = 0.3
    sizes: Sizes = field(default_factory=lambda: Sizes(train=1000))

    def __post_init__(self) -> None:
        check_ladder("elu", shift_modes=self.shift_modes, shift_decay=self.shift_decay)
        if self.grid < 4 or max(self.modes, *self.shift_modes) >= self.grid // 2:
            raise ValueError(
                f"data.elu: grid ({self.grid}) must resolve the modes "
                f"(modes, shift_modes < grid/2; got {self.modes}, {list(self.shift_modes)})"
            )


class Elu(Problem):
    name = "elu"
    Settings = EluSettings
    model = "mor_physics:MORPhysics"
    input_dims = ("x",)
    output_dims = ("x",)
    output_kind = "curve"

    @classmethod
    def build_model(
        cls, inputs: torch.Tensor, outputs: torch.Tensor, channels: int = 1, dropout: float = 0.0
    ) -> nn.Module:
        return cls.model_class()(grid=inputs.shape[-1], channels=channels, dropout=dropout)

    def coords(self) -> dict[str, np.ndarray]:
        n = self.settings.grid
        return {"x": 2 * np.pi * np.arange(n) / n}

    def shift_law(self, rung: int) -> str:
        s = self.settings
        return f"k ≤ {s.shift_modes[rung]}\nvariance k^-{s.shift_decay[rung]:g}"

    def sample_inputs(self, n: int, rng: np.random.Generator, rung: int | None) -> np.ndarray:
        s = self.settings
        modes, decay = (
            (s.modes, s.decay) if rung is None else (s.shift_modes[rung], s.shift_decay[rung])
        )
        k = np.arange(1, modes + 1)
        ab = rng.standard_normal((2, n, modes)) * k ** (-decay / 2)  # std = sqrt(k^-decay)
        x = self.coords()["x"]
        # (case, mode) @ (mode, x): no loop over cases or modes
        return ab[0] @ np.cos(np.outer(k, x)) + ab[1] @ np.sin(np.outer(k, x))

    def sample_outputs(
        self, inputs: np.ndarray, n_realizations: int, rng: np.random.Generator
    ) -> np.ndarray:
        s = self.settings
        xi = rng.standard_normal((2, inputs.shape[0], n_realizations))  # one (A, ℓ) per draw
        amp = np.exp(s.amplitude_log_std * xi[0])
        ell = s.length * np.exp(s.length_log_std * xi[1])
        k = np.fft.rfftfreq(s.grid, d=1.0 / s.grid)  # integer wavenumbers on [0, 2π)
        mult = amp[..., None] * np.exp(-((ell[..., None] * k) ** 2))  # (case, draw, k)
        spec = np.fft.rfft(np.where(inputs > 0, inputs, np.expm1(inputs)), axis=-1)  # F[ELU(u)]
        return np.fft.irfft(spec[:, None, :] * mult, n=s.grid, axis=-1)
