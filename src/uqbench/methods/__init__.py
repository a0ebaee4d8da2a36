"""Method registry: one module per UQ method, all subclasses of ``base.Method``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from uqbench.methods.base import Data, Method
from uqbench.methods.climatology import Climatology
from uqbench.methods.decu import Decu
from uqbench.methods.deterministic import Deterministic
from uqbench.methods.ecsg import Ecsg
from uqbench.methods.ensemble import Ensemble
from uqbench.methods.flow import Flow
from uqbench.methods.genuq import GenUQ
from uqbench.methods.isograd import Isograd
from uqbench.methods.mc_dropout import MCDropout
from uqbench.methods.regrad import Regrad
from uqbench.methods.ridge import Ridge
from uqbench.methods.vi import VI

METHODS: dict[str, type[Method]] = {
    "climatology": Climatology,
    "ridge": Ridge,
    "deterministic": Deterministic,
    "genuq": GenUQ,
    "vi": VI,
    "flow": Flow,
    "mc_dropout": MCDropout,
    "ensemble": Ensemble,
    "regrad": Regrad,
    "isograd": Isograd,
    "ecsg": Ecsg,
    "decu": Decu,
}

__all__ = ["METHODS", "Data", "Method", "make_method"]


def make_method(
    name: str,
    problem: str,
    hyper: dict[str, Any] | None = None,
    ratio: float | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    recipe: Mapping[str, Any] | None = None,
) -> Method:
    """Instantiate a registered method from its config slice (``hyper.<name>``) and the
    problem's base-model recipe (``base_model.<problem>``)."""
    try:
        cls = METHODS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; registered: {sorted(METHODS)}") from None
    return cls(problem, hyper, ratio=ratio if cls.uses_ratio else None, seed=seed, device=device,
               recipe=recipe)  # fmt: skip
