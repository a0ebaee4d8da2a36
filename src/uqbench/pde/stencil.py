"""Grid geometry shared by the direct and the iterative Poisson solvers.

Nodes x_i = i·h, i = 0..n+1 per axis; ``kappa`` lives on all nodes, unknowns on the interior
ones; the conductivity of the face between two neighbouring nodes is the harmonic mean of
their values (a zero node value makes an insulated face).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def harmonic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Face conductivity 2ab/(a+b) of two node values; 0 where both are 0."""
    s = a + b
    # a zero node value (insulated wall) gives a zero face; a + b > 0 is checked by the caller
    return np.divide(2.0 * a * b, s, out=np.zeros_like(s), where=s > 0)


def spatial_dim(kappa: np.ndarray, f: np.ndarray, dim: int | None) -> int:
    """1 or 2: the grid dimension that fits kappa (..., n+2[, m+2]) to f (..., n[, m]).

    Raises ValueError when none fits, or both do and ``dim`` is None.
    """

    def fits(d: int) -> bool:
        if f.ndim < d or kappa.ndim < d:
            return False
        if tuple(kappa.shape[-d:]) != tuple(s + 2 for s in f.shape[-d:]):
            return False
        try:
            np.broadcast_shapes(kappa.shape[:-d], f.shape[:-d])
        except ValueError:
            return False
        return True

    if dim is not None:
        if dim not in (1, 2):
            raise ValueError(f"dim must be 1 or 2, got {dim}")
        if not fits(dim):
            raise ValueError(
                f"shapes do not fit a {dim}D problem: kappa {kappa.shape} must be "
                f"(..., n+2{', m+2' if dim == 2 else ''}) for f {f.shape} of shape "
                f"(..., n{', m' if dim == 2 else ''}), with broadcastable leading dimensions"
            )
        return dim
    candidates = [d for d in (1, 2) if fits(d)]
    if not candidates:
        raise ValueError(
            f"kappa {kappa.shape} and f {f.shape} do not fit: expected f (..., n) with "
            "kappa (..., n+2) in 1D, or f (..., n, m) with kappa (..., n+2, m+2) in 2D "
            "(kappa is given on all nodes including the boundary)"
        )
    if len(candidates) > 1:
        raise ValueError(
            f"kappa {kappa.shape} and f {f.shape} fit both 1D and 2D; pass dim=1 or dim=2"
        )
    return candidates[0]


def grid_spacing(
    space: tuple[int, ...], spacing: float | Sequence[float] | None
) -> tuple[float, ...]:
    """Grid step per axis: ``spacing`` (scalar or one per axis), default 1/(n+1)."""
    if spacing is None:
        return tuple(1.0 / (n + 1) for n in space)
    hs = (float(spacing),) * len(space) if np.isscalar(spacing) else tuple(map(float, spacing))
    if len(hs) != len(space) or not all(h > 0 for h in hs):
        raise ValueError(f"spacing must be one positive value per axis, got {spacing!r}")
    return hs


def face_conductivities(kappa: np.ndarray, d: int) -> list[np.ndarray]:
    """Face conductivities per axis; axis a has shape (..., n_a + 1 on axis a, n_b on others)."""
    out = []
    for a in range(d):
        inner = [slice(1, -1)] * d
        lo, hi = list(inner), list(inner)
        lo[a], hi[a] = slice(0, -1), slice(1, None)
        pre = (Ellipsis,)
        out.append(harmonic(kappa[(*pre, *lo)], kappa[(*pre, *hi)]))
    return out


def check_kappa(kappa: np.ndarray, d: int) -> None:
    """Raise ValueError unless kappa is finite, > 0 inside and >= 0 on the boundary."""
    if not np.all(np.isfinite(kappa)):
        raise ValueError("kappa contains NaN or inf")
    interior = kappa[(Ellipsis, *([slice(1, -1)] * d))]
    if np.any(interior <= 0):
        raise ValueError("kappa must be > 0 on interior nodes")
    if np.any(kappa < 0):
        raise ValueError("kappa must be >= 0 on boundary nodes (0 means an insulated wall)")
