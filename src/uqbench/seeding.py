"""Named, order-independent random streams: one seed, many independent generators.

A stream is keyed by the integer seed plus names (problem, split, purpose); adding a new
stream or changing the size of one never changes the numbers of another.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch


def stream(seed: int, *names: str) -> np.random.Generator:
    """NumPy generator for ``seed`` and the given names (stable across runs and platforms)."""
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    keys = [seed, *(zlib.crc32(n.encode()) for n in names)]
    return np.random.default_rng(np.random.SeedSequence(keys))


def torch_generator(seed: int, *names: str, device: str | None = None) -> torch.Generator:
    """A torch generator seeded from the stream (seed, *names): same numbers whatever else
    drew before it. ``device`` None means the CPU (draws are then moved where needed)."""
    import torch  # torch-free import of this module for the Snakefile

    gen = torch.Generator(device=device or "cpu")
    return gen.manual_seed(int(stream(seed, *names).integers(2**62)))


@contextlib.contextmanager
def torch_fork(seed: int, *names: str, device: object = None) -> Iterator[None]:
    """Inside the block, torch's global generator (the one ``nn.Module`` initialisation and
    ``nn.Dropout`` draw from) is seeded from the stream (seed, *names); after it, the global
    state is what it was. So parameter initialisations and dropout masks depend on their
    own named stream only, never on what ran before. ``device`` a CUDA device: its generator
    (which draws the random numbers of tensors on it) is forked and seeded too."""
    import torch

    cuda = [device] if device is not None and torch.device(device).type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        value = int(stream(seed, *names).integers(2**62))
        torch.manual_seed(value)  # seeds every CUDA device as well, inside the fork
        yield
