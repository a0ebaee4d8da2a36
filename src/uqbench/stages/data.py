"""Stage data: one split of a problem -> its data file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from uqbench import io
from uqbench.problems import make_problem
from uqbench.problems.base import SplitData

if TYPE_CHECKING:
    import xarray as xr


def generate_data(
    problem: str, settings: Mapping[str, Any], split: str, seed: int, path: str | os.PathLike[str]
) -> None:
    """Generate one split of a problem and write it atomically to ``path``."""
    io.write_dataset(split_dataset(make_problem(problem, settings).generate(split, seed)), path)


def split_dataset(d: SplitData) -> xr.Dataset:
    """A problem's split (``Problem.generate``) as the data file's dataset (``io.data_dataset``:
    named dims, float32, provenance attrs, checked)."""
    return io.data_dataset(d.inputs, d.outputs, d.input_dims, d.output_dims, d.coords, d.attrs)
