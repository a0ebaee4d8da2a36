"""porous: failure location of a porous bar under tension.

A synthetic stand-in for the porous-steel data of paper 000 (not public). Input: a binary
porosity image (1 = void) of ``width`` × ``length`` cells, dims (x, y) with x along the
tensile axis (length cells) and y across it. Physics: -div(κ grad φ) = 0 with κ = 1 in metal
and ``void_conductivity`` in voids, φ = 0 / 1 on the grips (x = 0 / x = 1) and insulated
sides (boundary κ = 0, see ``uqbench.pde.poisson``); local stress s = |κ grad φ|. For each
(case, realization) every cell draws a strength σ_c ~ Weibull(modulus) (i.i.d.); the bar fails at
the cell maximising s / σ_c. Output: the failure point (x, y) ∈ [0, 1]², dim ``component``.

Voids are discs with uniform random centres and radii (in cells), added until the image
reaches a target porosity drawn uniformly per input (overshoot at most one void).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from uqbench.pde.poisson import flux_magnitude, solve
from uqbench.problems.base import Problem, Sizes, check_ladder, random_flags, where_cases

if TYPE_CHECKING:
    import torch
    from torch import nn

_CHUNK = 128  # cases per vectorised chunk (bounds the (case, void, x, y) mask memory)
_DRAWS_PER_CHUNK = 2048  # (case, realization) strength draws per chunk (x cells: memory)
_VOIDS_PER_ROUND = 16
_MAX_ROUNDS = 200


@dataclass(frozen=True)
class PorousSettings:
    length: int = 64
    width: int = 32
    porosity: tuple[float, float] = (0.01, 0.05)
    # per shift rung: porosity ranges above the training one
    shift_porosity: tuple[tuple[float, float], ...] = ((0.05, 0.08), (0.08, 0.12), (0.12, 0.18))
    void_radius: tuple[float, float] = (1.0, 3.0)
    void_conductivity: float = 1e-3
    weibull_modulus: float = 10.0
    sizes: Sizes = field(default_factory=lambda: Sizes(train=4000))

    def __post_init__(self) -> None:
        check_ladder("porous", shift_porosity=self.shift_porosity)
        ranges = {"porosity": self.porosity, "void_radius": self.void_radius}
        ranges.update({f"shift_porosity[{i}]": r for i, r in enumerate(self.shift_porosity)})
        for name, (lo, hi) in ranges.items():
            if not 0 < lo <= hi:
                raise ValueError(f"data.porous.{name} must be 0 < low <= high, got {(lo, hi)}")
        if max(self.porosity[1], *(hi for _, hi in self.shift_porosity)) >= 0.5:
            raise ValueError("data.porous porosity must stay below 0.5")


class Porous(Problem):
    name = "porous"
    Settings = PorousSettings
    model = "convnet:ConvNet"
    input_dims = ("x", "y")
    output_dims = ("component",)
    output_kind = "point"

    @classmethod
    def build_model(
        cls, inputs: torch.Tensor, outputs: torch.Tensor, channels: int = 1, dropout: float = 0.0
    ) -> nn.Module:
        return cls.model_class()(out=outputs.shape[-1], channels=channels, dropout=dropout)

    @staticmethod
    def augment(
        inputs: torch.Tensor, outputs: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Reflections of the bar: x -> 1 - x (the grips swap, φ -> 1 - φ, the stress is
        unchanged) and y -> 1 - y (the insulated sides swap); the strengths are i.i.d. per
        cell, so the failure point of the reflected image is the reflected failure point.
        inputs (case, x, y), outputs (case, 2) = (x, y) in [0, 1]²."""
        flags = random_flags(inputs.shape[0], 2, generator, inputs.device)
        for k, dim in enumerate((-2, -1)):
            inputs = where_cases(flags[:, k], inputs.flip(dim), inputs)
        return inputs, (1 - outputs).where(flags, outputs)

    def coords(self) -> dict[str, np.ndarray]:
        s = self.settings
        return {
            "x": (np.arange(s.length) + 0.5) / s.length,
            "y": (np.arange(s.width) + 0.5) / s.width,
            "component": np.array(["x", "y"]),
        }

    def shift_law(self, rung: int) -> str:
        lo, hi = self.settings.shift_porosity[rung]
        return f"porosity {100 * lo:g}–{100 * hi:g} %"

    def sample_inputs(self, n: int, rng: np.random.Generator, rung: int | None) -> np.ndarray:
        s = self.settings
        lo, hi = s.porosity if rung is None else s.shift_porosity[rung]
        target = rng.uniform(lo, hi, n)
        xc = np.arange(s.length) + 0.5
        yc = np.arange(s.width) + 0.5
        images = np.zeros((n, s.length, s.width), dtype=bool)
        done = np.zeros(n, dtype=bool)
        for _ in range(_MAX_ROUNDS):  # rounds of voids for all cases at once
            todo = np.flatnonzero(~done)
            if todo.size == 0:
                break
            cx = rng.uniform(0, s.length, (n, _VOIDS_PER_ROUND))[todo]
            cy = rng.uniform(0, s.width, (n, _VOIDS_PER_ROUND))[todo]
            r = rng.uniform(*s.void_radius, (n, _VOIDS_PER_ROUND))[todo]
            for c0 in range(0, todo.size, _CHUNK):
                sl = slice(c0, c0 + _CHUNK)
                idx = todo[sl]
                disc = (xc[None, None, :, None] - cx[sl, :, None, None]) ** 2 + (
                    yc[None, None, None, :] - cy[sl, :, None, None]
                ) ** 2 <= r[sl, :, None, None] ** 2
                cum = np.logical_or.accumulate(disc, axis=1) | images[idx, None]
                por = cum.mean(axis=(2, 3))  # porosity after each added void
                hit = por >= target[idx, None]
                first = np.where(hit.any(1), hit.argmax(1), _VOIDS_PER_ROUND - 1)
                images[idx] = cum[np.arange(idx.size), first]
                done[idx] = hit.any(1)
        else:
            raise RuntimeError("porous: void placement did not reach the target porosity")
        return images.astype(np.float32)

    def stress(self, images: np.ndarray) -> np.ndarray:
        """Local stress |κ grad φ| per cell (case, x, y) for porosity images (case, x, y)."""
        s = self.settings
        n = images.shape[0]
        kappa = np.zeros((n, s.length + 2, s.width + 2))
        kappa[:, 1:-1, 1:-1] = np.where(images > 0.5, s.void_conductivity, 1.0)
        kappa[:, [0, -1], 1:-1] = 1.0  # grips; the y walls stay 0 = insulated
        grips = np.zeros_like(kappa)
        grips[:, -1, :] = 1.0  # φ = 1 on the far grip, 0 on the near one
        f = np.zeros((n, s.length, s.width))
        h = 1.0 / (s.length + 1)  # square cells, unit distance between the grips: far-field s = 1
        phi = solve(kappa, f, boundary=grips, dim=2, spacing=h)
        return flux_magnitude(kappa, phi, boundary=grips, spacing=h)

    def sample_outputs(
        self, inputs: np.ndarray, n_realizations: int, rng: np.random.Generator
    ) -> np.ndarray:
        s = self.settings
        n = inputs.shape[0]
        log_s = np.log(np.maximum(self.stress(inputs), 1e-300)).reshape(n, -1)
        per_chunk = max(1, _DRAWS_PER_CHUNK // n_realizations)
        cell = np.empty((n, n_realizations), dtype=np.int64)
        for c in range(0, n, per_chunk):  # chunks bound the (case, draw, cell) memory
            m = min(per_chunk, n - c)
            # each (case, realization) draws its own strength per cell
            log_sigma = np.log(rng.weibull(s.weibull_modulus, (m, n_realizations, log_s.shape[1])))
            cell[c : c + m] = np.argmax(log_s[c : c + m, None] - log_sigma, axis=2)
        ix, iy = np.divmod(cell, s.width)
        coords = self.coords()
        return np.stack([coords["x"][ix], coords["y"][iy]], axis=-1)  # (case, realization, 2)
