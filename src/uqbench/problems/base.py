"""The problem interface: sample inputs, sample outputs of the stochastic operator, write data.

A *realization* is one draw of the random operator (ELU amplitude and length, Poisson
conductivity, porous-bar cell strengths). Every (case, realization) has its own operator
draw: train, val and calib pair each input with one draw; test and the shift rungs give each
input R draws, so each case's R realizations are i.i.d. samples of the output distribution
for that input, and the cases are independent of each other. (Sharing R draws across the
inputs of a split would be cheaper, but then every case sees the same R operators: the
cases are no longer independent, the truth's second moments carry the noise of R draws in
every case at once, and an interval over cases understates it by an order of magnitude.)

Splits: ``train`` fits, ``val`` selects (epochs, λ, σ², bandwidths), ``calib`` only
calibrates (split conformal; never used to fit or select), ``test`` and the shift rungs are
scored.

The shift ladder: ``SHIFTS`` are splits whose inputs come from shifted input laws, from mild
to strong (``ood`` is the middle rung). Each
problem's settings give one value per rung to each shifted law parameter (``shift_*``), so
rung ``i`` of every problem is a documented change of its input law; the operator is the
same on every rung.
"""

from __future__ import annotations

import importlib
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from uqbench.seeding import stream
from uqbench.settings import config_hash, from_mapping

if TYPE_CHECKING:
    import torch
    from torch import nn

log = logging.getLogger(__name__)

SHIFTS: tuple[str, ...] = ("ood_mild", "ood", "ood_strong")  # the shift ladder, mild to strong
SPLITS: tuple[str, ...] = ("train", "val", "calib", "test", *SHIFTS)
PAIRED = ("train", "val", "calib")  # one realization per input


def shift_rung(split: str) -> int | None:
    """The rung index of a shift split (0 = mild), None for an in-distribution split."""
    return SHIFTS.index(split) if split in SHIFTS else None


def check_ladder(where: str, **values: tuple) -> None:
    """Every shifted law parameter gives exactly one value per rung of ``SHIFTS``."""
    for name, v in values.items():
        if len(v) != len(SHIFTS):
            raise ValueError(
                f"data.{where}.{name} needs one value per shift rung {SHIFTS}, got {list(v)}"
            )


@dataclass(frozen=True)
class Sizes:
    """Number of inputs per split and operator realizations per test/shift input (``ood``
    is the number of inputs of every shift rung)."""

    train: int = 1000
    val: int = 200
    calib: int = 200
    test: int = 100
    ood: int = 100
    realizations: int = 256

    def __post_init__(self) -> None:
        for name in ("train", "val", "calib", "test", "ood", "realizations"):
            if getattr(self, name) < 1:
                raise ValueError(f"sizes.{name} must be >= 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class SplitData:
    """One split of a problem: inputs (case, *input dims), outputs (case, realization,
    *output dims), the names of those dims, their coordinates and the provenance attrs."""

    inputs: np.ndarray
    outputs: np.ndarray
    input_dims: tuple[str, ...]
    output_dims: tuple[str, ...]
    coords: dict[str, np.ndarray]
    attrs: dict[str, Any]


class Problem(ABC):
    """One stochastic operator-learning problem.

    Subclasses set ``name``, ``Settings`` (a frozen dataclass with a ``sizes: Sizes`` field),
    ``input_dims`` and ``output_dims``, and implement the three abstract methods.
    """

    name: ClassVar[str]
    Settings: ClassVar[type]
    # the base model class, "module:Class" in uqbench.models: imported when a model is built,
    # so that generating data needs no torch (elu and porous; poisson's solver imports it)
    model: ClassVar[str]
    input_dims: tuple[str, ...]
    output_dims: tuple[str, ...]
    output_kind: str  # how an output is drawn: one of io.OUTPUT_KINDS (curve, field, point)

    @classmethod
    @abstractmethod
    def build_model(
        cls, inputs: torch.Tensor, outputs: torch.Tensor, channels: int = 1, dropout: float = 0.0
    ) -> nn.Module:
        """The problem's base model sized for training data ``inputs`` (N, *input grid),
        ``outputs`` (N, *output dims). Data-dependent parts (a POD trunk, an input PCA) are
        fitted here; the model's ``init_args`` rebuild the same architecture
        (``model_from_args``). ``channels`` > 1 adds output channels (the output is then
        (batch, channels, *output dims)); ``dropout`` is the drop probability of hidden
        units (active in training mode only)."""

    @classmethod
    def model_class(cls) -> type[nn.Module]:
        """The base model's class (``model``, imported here)."""
        module, _, name = cls.model.partition(":")
        return getattr(importlib.import_module(f"uqbench.models.{module}"), name)

    @classmethod
    def model_from_args(cls, args: dict[str, Any]) -> nn.Module:
        """Rebuild the base model from its ``init_args`` (weights are loaded separately)."""
        return cls.model_class()(**args)

    @staticmethod
    def augment(
        inputs: torch.Tensor, outputs: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """A random symmetry of the problem applied to a training mini-batch, one draw per
        case: inputs (case, *input grid), outputs (case, *output dims) -> same shapes.

        A symmetry maps an input to one whose output law is the image of the original's, so
        the transformed pair is another draw from the data law (the models then learn what
        the physics guarantees). The default is no symmetry: the pair is returned as it is.
        """
        return inputs, outputs

    def __init__(self, settings: Any = None) -> None:
        if not isinstance(settings, self.Settings):
            settings = from_mapping(self.Settings, settings, where=f"data.{self.name}")
        self.settings = settings

    @abstractmethod
    def coords(self) -> dict[str, np.ndarray]:
        """Coordinate values of the input and output dims (e.g. ``x``, ``y``, ``component``)."""

    @abstractmethod
    def sample_inputs(self, n: int, rng: np.random.Generator, rung: int | None) -> np.ndarray:
        """``n`` inputs, shape (case, *input grid), from the training law (``rung`` None) or
        from rung ``rung`` of the shift ladder (``SHIFTS``)."""

    @abstractmethod
    def shift_law(self, rung: int) -> str:
        """A short label of rung ``rung``'s input law (figure ticks, may hold line breaks)."""

    @abstractmethod
    def sample_outputs(
        self, inputs: np.ndarray, n_realizations: int, rng: np.random.Generator
    ) -> np.ndarray:
        """Outputs of ``n_realizations`` random operator draws per input, each (case,
        realization) its own independent draw: shape (case, realization, *output dims)."""

    def generate(self, split: str, seed: int) -> SplitData:
        """The arrays of one split with their dims, coordinates and provenance attrs;
        deterministic in (settings, seed). (``stages.data`` writes them.)"""
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
        sizes: Sizes = self.settings.sizes
        rung = shift_rung(split)
        n_cases = sizes.ood if rung is not None else getattr(sizes, split)
        n_real = 1 if split in PAIRED else sizes.realizations
        start = time.perf_counter()
        inputs = self.sample_inputs(n_cases, stream(seed, self.name, split, "input"), rung)
        outputs = self.sample_outputs(inputs, n_real, stream(seed, self.name, split, "operator"))
        seconds = time.perf_counter() - start
        log.info(
            "%s/%s: %d cases x %d realizations in %.2f s",
            self.name,
            split,
            n_cases,
            n_real,
            seconds,
        )
        attrs = {
            "problem": self.name,
            "split": split,
            "seed": seed,
            "config_hash": config_hash(self.name, self.settings, seed),
            "output_kind": self.output_kind,
            "input_law": "training law" if rung is None else self.shift_law(rung),
            "wall_seconds": round(seconds, 3),
        }
        return SplitData(
            inputs, outputs, tuple(self.input_dims), tuple(self.output_dims), self.coords(), attrs
        )


def random_flags(n: int, k: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """(n, k) independent fair coin flips (bool) from ``generator`` (CPU), on ``device``."""
    import torch

    return torch.randint(0, 2, (n, k), generator=generator).bool().to(device)


def where_cases(flag: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per case (leading dim): ``a`` where ``flag`` (case,) is set, else ``b``."""
    return a.where(flag.reshape(-1, *[1] * (a.dim() - 1)), b)
