"""Stage data: one split of a problem -> its data file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import torch

from uqbench import io
from uqbench.methods import Data
from uqbench.problems import PROBLEMS, make_problem


def generate_data(
    problem: str, settings: Mapping[str, Any], split: str, seed: int, path: str | os.PathLike[str]
) -> None:
    """Generate one split of a problem and write it atomically to ``path``."""
    io.write_dataset(make_problem(problem, settings).generate(split, seed), path)


def read_pairs(
    path: str | os.PathLike[str], problem: str, device: torch.device, augment: bool = False
) -> Data:
    """(input, first realization) pairs of a data file as tensors on ``device``; training
    pairs carry the problem's symmetry augmentation (``augment``)."""
    ds = io.read_data(path, problem=problem)
    return Data(
        torch.from_numpy(ds["input"].values).to(device),
        torch.from_numpy(ds["output"].values[:, 0]).to(device),
        PROBLEMS[problem].augment if augment else None,
    )
