"""Problem registry: one module per problem, all with the interface of ``base.Problem``."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from uqbench import io
from uqbench.problems.base import SPLITS, Problem, Sizes
from uqbench.problems.elu import Elu
from uqbench.problems.poisson import Poisson
from uqbench.problems.porous import Porous

log = logging.getLogger(__name__)

PROBLEMS: dict[str, type[Problem]] = {
    "elu": Elu,
    "poisson": Poisson,
    "porous": Porous,
}

__all__ = ["PROBLEMS", "SPLITS", "Problem", "Sizes", "generate_data", "make_problem"]


def make_problem(name: str, settings: Mapping[str, Any] | None = None) -> Problem:
    """Instantiate a registered problem from its config slice (``data.<name>``)."""
    try:
        cls = PROBLEMS[name]
    except KeyError:
        raise ValueError(f"unknown problem {name!r}; registered: {sorted(PROBLEMS)}") from None
    return cls(settings)


def generate_data(
    name: str, settings: Mapping[str, Any], split: str, seed: int, path: str | os.PathLike[str]
) -> None:
    """Generate one split of a problem and write it atomically to ``path``."""
    ds = make_problem(name, settings).generate(split, seed)
    io.write_dataset(ds, path)
