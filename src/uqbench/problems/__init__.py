"""Problem registry: one module per problem, all with the interface of ``base.Problem``, found
through the torch-free problem catalogue (``uqbench.catalogue.PROBLEMS``)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from uqbench import catalogue
from uqbench.problems.base import SHIFTS, SPLITS, Problem, Sizes

if TYPE_CHECKING:
    import torch
    from torch import nn

log = logging.getLogger(__name__)


def _load(path: str) -> type[Problem]:
    module, _, name = path.partition(":")
    cls = getattr(importlib.import_module(f"uqbench.problems.{module}"), name)
    if not (isinstance(cls, type) and issubclass(cls, Problem)):
        raise TypeError(f"problem catalogue entry {path} is not a Problem subclass")
    return cls


# one class per entry of the problem catalogue (``catalogue.PROBLEMS``)
PROBLEMS: dict[str, type[Problem]] = {n: _load(t.cls) for n, t in catalogue.PROBLEMS.items()}

__all__ = [
    "PROBLEMS",
    "SHIFTS",
    "SPLITS",
    "Problem",
    "Sizes",
    "build_model",
    "make_problem",
    "model_from_args",
]


def make_problem(name: str, settings: Mapping[str, Any] | None = None) -> Problem:
    """Instantiate a registered problem from its config slice (``data.<name>``)."""
    return problem_class(name)(settings)


def problem_class(name: str) -> type[Problem]:
    try:
        return PROBLEMS[name]
    except KeyError:
        raise ValueError(f"unknown problem {name!r}; registered: {sorted(PROBLEMS)}") from None


def build_model(
    name: str, inputs: torch.Tensor, outputs: torch.Tensor, channels: int = 1, dropout: float = 0.0
) -> nn.Module:
    """Problem ``name``'s base model sized for the training data (``Problem.build_model``)."""
    return problem_class(name).build_model(inputs, outputs, channels=channels, dropout=dropout)


def model_from_args(name: str, args: dict[str, Any]) -> nn.Module:
    """Rebuild problem ``name``'s base model from its ``init_args``."""
    return problem_class(name).model_from_args(args)
