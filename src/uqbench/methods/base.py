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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from uqbench.catalogue import MethodTraits, traits
from uqbench.methods.training import Data, Optim, Validation, point_validation, train_loop
from uqbench.models import decayed
from uqbench.problems import build_model, model_from_args
from uqbench.seeding import stream, torch_fork
from uqbench.settings import from_mapping

log = logging.getLogger(__name__)


def pick_device(device: str = "auto") -> torch.device:
    """``auto`` -> cuda when available, else cpu; otherwise the named device."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def stochastic_indices(
    n_params: int, ratio: float, seed: int, pool: np.ndarray | None = None
) -> torch.Tensor:
    """The stochastic subset S: ⌈ratio·P⌉ distinct flat-parameter indices, fixed by the seed,
    drawn from ``pool`` (flat indices; None: all P parameters; a pool smaller than ⌈ratio·P⌉
    is taken whole). Sorted."""
    if not 0 < ratio <= 1:
        raise ValueError(
            f"a stochastic-parameter ratio (config key ratios) must be in (0, 1], got {ratio}"
        )
    k = math.ceil(ratio * n_params)
    rng = stream(seed, "stochastic subset")
    if pool is None:
        return torch.from_numpy(np.sort(rng.choice(n_params, size=k, replace=False)))
    pool = np.asarray(pool)
    return torch.from_numpy(np.sort(rng.choice(pool, size=min(k, pool.size), replace=False)))


class FlatParams:
    """Map between a model's named parameters and one flat vector of length P."""

    def __init__(self, model: nn.Module) -> None:
        self.names = [n for n, _ in model.named_parameters()]
        self.shapes = [p.shape for _, p in model.named_parameters()]
        self.sizes = [p.numel() for _, p in model.named_parameters()]
        self.total = sum(self.sizes)

    def indices(self, prefixes: Iterable[str]) -> np.ndarray:
        """Flat indices of the parameters whose names start with one of ``prefixes``; an
        unknown prefix raises, naming the parameters."""
        prefixes = list(prefixes)
        unknown = [p for p in prefixes if not any(n.startswith(p) for n in self.names)]
        if unknown:
            raise ValueError(f"no parameter starts with {unknown}; parameters: {self.names}")
        starts = np.cumsum([0, *self.sizes])
        return np.concatenate(
            [
                np.arange(starts[i], starts[i + 1])
                for i, n in enumerate(self.names)
                if any(n.startswith(p) for p in prefixes)
            ]
        )

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
    """One UQ method. Subclasses set ``name``, ``Hyper`` and implement fit/sample.

    ``recipe`` is the problem's base-model training recipe (config ``base_model.<problem>``:
    epochs, batch size, learning rate, weight decay, patience, schedule), used by every phase
    that fits the base model to a likelihood (the deterministic fit, pre-fits, ensemble
    members and heads); a method's own phases take their settings from its ``Hyper``.
    """

    name: ClassVar[str]
    Hyper: ClassVar[type]
    # Modules of fitted statistics (``Buffers``) by attribute name: rebuilt from the
    # checkpoint's tensors on load (their shapes come from the data, not the constructor).
    buffer_modules: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        problem: str,
        hyper: Any = None,
        ratio: float | None = None,
        seed: int = 0,
        device: str | torch.device = "auto",
        recipe: Optim | Mapping[str, Any] | None = None,
        variant: str | None = None,
    ) -> None:
        # a variant (config ``variants``) runs this class under its own name, ``label``; its
        # random streams stay the base method's (common random numbers in an ablation)
        self.label = variant or self.name
        if not isinstance(hyper, self.Hyper):
            where = f"variants.{variant}.hyper" if variant else f"hyper.{self.name}"
            hyper = from_mapping(self.Hyper, hyper, where=where)
        if not isinstance(recipe, Optim):
            recipe = from_mapping(Optim, recipe, where=f"base_model.{problem}")
        if self.traits().uses_ratio and ratio is None:
            raise ValueError(f"method {self.name!r} needs a stochastic-parameter ratio")
        self.problem, self.hyper, self.ratio, self.seed = problem, hyper, ratio, seed
        self.recipe = recipe
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        self.model: nn.Module | None = None

    @classmethod
    def traits(cls) -> MethodTraits:
        """What the method is (ratio sweep, epistemic score, what it needs): its catalogue
        entry, declared once in ``uqbench.catalogue``."""
        return traits(cls.name)

    # -- building ---------------------------------------------------------------------
    def build(self, train: Data) -> None:
        """Create the base model (and method parts) sized for the training data."""
        # one stream for every method: the same seed starts every method from the same base
        # model (common random numbers across the methods compared)
        with torch_fork(self.seed, "base model init"):
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
        """All modules with state by name (saved in the checkpoint)."""
        return {"model": self.model}

    def fit_base(
        self,
        loss_fn: Callable[..., torch.Tensor],
        train: Data,
        validate: Validation,
        tag: str,
        *,
        params: Iterable[nn.Parameter] | None = None,
        optim: Optim | None = None,
        history: list[dict[str, float]] | None = None,
        with_index: bool = False,
    ) -> list[dict[str, float]]:
        """One training phase (``training.train_loop``) of ``params`` (default: the base
        model's) under ``optim`` (default: the problem's recipe), with the recipe's weight
        decay on the base model's weight matrices; the best validation epoch is kept."""
        return train_loop(
            loss_fn,
            self.model.parameters() if params is None else params,
            train,
            validate,
            optim or self.recipe,
            seed=self.seed,
            tag=tag,
            decay=self.decayed(),
            history=history,
            with_index=with_index,
        )

    def decayed(self) -> list[nn.Parameter]:
        """The parameters that get the recipe's weight decay: the base model's weight
        matrices (``models.decayed``); never variances, posteriors or hyper-networks."""
        return decayed(self.model)

    def fit_mse(
        self, train: Data, val: Data, tag: str, history: list[dict[str, float]] | None = None
    ) -> list[dict[str, float]]:
        """The deterministic fit of the base model: MSE, selected by the validation MSE."""

        def mse(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return (self.model(a) - y).pow(2).mean()

        return self.fit_base(mse, train, point_validation(self.model, val), tag, history=history)

    # -- the interface ----------------------------------------------------------------
    @abstractmethod
    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:
        """Train, selecting by validation; returns the per-epoch history (``train_loop``)."""

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
    def model_args(self) -> dict[str, Any] | None:
        """Constructor arguments of the base model(s) (None for a method without one)."""
        return None if self.model is None else self.model.init_args

    def _rebuild(self, model_args: dict[str, Any]) -> None:
        """Recreate the base model(s) from ``model_args`` before the weights are loaded."""
        self.model = model_from_args(self.problem, model_args).to(self.device)

    @property
    def n_params(self) -> int:
        """Parameters the method uses to predict (fitted statistics not counted)."""
        return sum(p.numel() for m in self.modules().values() for p in m.parameters())

    @property
    def n_stochastic(self) -> int:
        return 0

    def state_dict(self) -> dict[str, Any]:
        """Weights and everything needed to rebuild: tensors, numbers, strings only."""
        return {
            "method": self.label,
            "base_method": self.name,
            "problem": self.problem,
            "hyper": asdict(self.hyper),
            "recipe": asdict(self.recipe),
            "ratio": self.ratio,
            "seed": self.seed,
            "model_args": self.model_args(),
            "weights": {k: m.state_dict() for k, m in self.modules().items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Rebuild the modules from ``state`` (as returned by ``state_dict``) and load weights:
        the base model from its ``model_args``, then the fitted statistics, then the method's
        own modules (``_build_extra``)."""
        for key, mine in (
            ("method", self.label),
            ("base_method", self.name),
            ("problem", self.problem),
        ):
            if state[key] != mine:
                raise ValueError(f"checkpoint is for {key} {state[key]!r}, not {mine!r}")
        weights = state["weights"]
        if state["model_args"] is not None:
            self._rebuild(state["model_args"])
        for k in self.buffer_modules:
            setattr(self, k, Buffers(**weights[k]).to(self.device))
        self._build_extra()
        for k, m in self.modules().items():
            m.load_state_dict(weights[k])
