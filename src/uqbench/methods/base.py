"""The method interface every UQ method implements, and the pieces they share.

A method wraps the problem's base model (``uqbench.models``). Its hyper-parameters are a
frozen dataclass built from the method's config slice (unknown keys raise). Shapes: inputs
(case, *input grid), outputs (case, *output dims); ``sample`` returns (sample, case, *output
dims) and ``epistemic_score`` returns (case,).
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from uqbench.models import build_model, model_from_args
from uqbench.settings import from_mapping

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Data:
    """Training or validation pairs as tensors on the method's device.

    inputs: (case, *input grid); outputs: (case, *output dims), one realization per case.
    """

    inputs: torch.Tensor
    outputs: torch.Tensor


def pick_device(device: str = "auto") -> torch.device:
    """``auto`` -> cuda when available, else cpu; otherwise the named device."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def stochastic_indices(n_params: int, ratio: float, seed: int) -> torch.Tensor:
    """The stochastic subset S: ⌈ratio·P⌉ distinct flat-parameter indices, fixed by the seed."""
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1], got {ratio}")
    k = math.ceil(ratio * n_params)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED]))
    return torch.from_numpy(np.sort(rng.choice(n_params, size=k, replace=False)))


class FlatParams:
    """Map between a model's named parameters and one flat vector of length P."""

    def __init__(self, model: nn.Module) -> None:
        self.names = [n for n, _ in model.named_parameters()]
        self.shapes = [p.shape for _, p in model.named_parameters()]
        self.sizes = [p.numel() for _, p in model.named_parameters()]
        self.total = sum(self.sizes)

    def unflatten(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        """(..., P) -> {name: (..., *shape)} (views, no copies)."""
        lead = flat.shape[:-1]
        parts = torch.split(flat, self.sizes, dim=-1)
        return {
            n: p.reshape(*lead, *s) for n, p, s in zip(self.names, parts, self.shapes, strict=True)
        }


@torch.no_grad()
def point_samples(model: nn.Module, inputs: torch.Tensor, n_samples: int) -> torch.Tensor:
    """A point prediction as an ensemble of equal samples: (n_samples, case, ...), a view."""
    pred = model(inputs)
    return pred.unsqueeze(0).expand(n_samples, *pred.shape)


class Buffers(nn.Module):
    """Non-trainable tensors of a method (fitted statistics), saved with its checkpoint."""

    def __init__(self, **tensors: torch.Tensor) -> None:
        super().__init__()
        for k, v in tensors.items():
            self.register_buffer(k, v)


class Method(ABC):
    """One UQ method. Subclasses set ``name``, ``Hyper`` and implement fit/sample."""

    name: ClassVar[str]
    Hyper: ClassVar[type]
    uses_ratio: ClassVar[bool] = False
    # True: ``epistemic_score`` is implemented (predict writes it; evaluate scores it on OOD)
    has_score: ClassVar[bool] = False
    # True: post-hoc on the trained deterministic model, given by ``attach_pretrained``
    needs_pretrained: ClassVar[bool] = False

    def __init__(
        self,
        problem: str,
        hyper: Any = None,
        ratio: float | None = None,
        seed: int = 0,
        device: str | torch.device = "auto",
    ) -> None:
        if not isinstance(hyper, self.Hyper):
            hyper = from_mapping(self.Hyper, hyper, where=f"methods.{self.name}")
        if self.uses_ratio and ratio is None:
            raise ValueError(f"method {self.name!r} needs a stochastic-parameter ratio")
        self.problem, self.hyper, self.ratio, self.seed = problem, hyper, ratio, seed
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        self.model: nn.Module | None = None

    # -- building ---------------------------------------------------------------------
    def build(self, train: Data) -> None:
        """Create the base model (and method parts) sized for the training data."""
        torch.manual_seed(self.seed)
        self.model = build_model(
            self.problem, train.inputs.cpu(), train.outputs.cpu(), **self.model_options()
        )
        self.model.to(self.device)
        self._build_extra()

    def model_options(self) -> dict[str, Any]:
        """Extra base-model options of this method (``channels``, ``dropout``)."""
        return {}

    def _build_extra(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Hook: create method-specific modules after ``self.model`` exists."""

    def modules(self) -> dict[str, nn.Module]:
        """All trainable modules by name (saved in the checkpoint)."""
        return {"model": self.model}

    # -- the interface ----------------------------------------------------------------
    @abstractmethod
    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        """Train; returns the per-epoch history (epoch, loss, seconds, samples_per_s)."""

    @abstractmethod
    def sample(
        self, inputs: torch.Tensor, n_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        """Predictive samples (sample, case, *output dims) for inputs (case, *input grid)."""

    def attach_pretrained(self, model: nn.Module) -> None:
        """Use ``model`` (the trained deterministic base model) as this method's base model."""
        self.model = model.to(self.device)
        self._build_extra()

    def epistemic_score(self, inputs: torch.Tensor) -> torch.Tensor:
        """Epistemic score (case,); methods without one raise NotImplementedError."""
        raise NotImplementedError(f"method {self.name!r} has no epistemic score")

    # -- state ------------------------------------------------------------------------
    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    @property
    def n_stochastic(self) -> int:
        return 0

    def state_dict(self) -> dict[str, Any]:
        """Weights and everything needed to rebuild: tensors, numbers, strings only."""
        return {
            "method": self.name,
            "problem": self.problem,
            "hyper": asdict(self.hyper),
            "ratio": self.ratio,
            "seed": self.seed,
            "model_args": self.model.init_args,
            "weights": {k: m.state_dict() for k, m in self.modules().items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Rebuild the modules from ``state`` (as returned by ``state_dict``) and load weights."""
        for key in ("method", "problem"):
            if state[key] != getattr(self, "name" if key == "method" else key):
                raise ValueError(
                    f"checkpoint is for {key} {state[key]!r}, not "
                    f"{getattr(self, 'name' if key == 'method' else key)!r}"
                )
        self.model = model_from_args(self.problem, state["model_args"]).to(self.device)
        self._build_extra()
        for k, m in self.modules().items():
            m.load_state_dict(state["weights"][k])
