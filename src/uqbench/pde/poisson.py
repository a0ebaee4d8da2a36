"""Finite-difference solver for -div(kappa grad u) = f with Dirichlet boundary values.

Grid: on the unit interval (1D) or unit square (2D), nodes x_i = i·h, i = 0..n+1, h = 1/(n+1)
per axis; unknowns live on the n (or n_x × n_y) interior nodes. ``kappa`` is given on all
nodes including the boundary ones; the conductivity of the face between two neighbouring
nodes is the harmonic mean of their values, which is exact for layered media and
second-order accurate for smooth kappa. The stencil is the conservative 3-point (1D) /
5-point (2D) one, so the matrix is symmetric positive definite (an M-matrix).

A boundary node with kappa = 0 makes its face conductivity 0, i.e. an insulated
(homogeneous Neumann) wall; the porous-bar problem uses this for its free sides.

Batches: leading dimensions of ``kappa``, ``f`` and ``boundary`` broadcast. Work is shared
where kappa is shared: every distinct kappa is factorised once (SuperLU) and solved for all
the right-hand sides that use it; distinct kappas are stacked block-diagonally, a chunk at a
time, so there is no Python loop over samples or nodes. Many systems that each have their
own kappa and a single right-hand side are cheaper by conjugate gradients:
``uqbench.pde.pcg.solve_each``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from uqbench.pde.stencil import check_kappa, face_conductivities, grid_spacing, spatial_dim

if TYPE_CHECKING:  # scipy is imported where a matrix is built: jobs that only load models
    import scipy.sparse as sp  # (predict, via the problem registry) skip its 0.3 s import

log = logging.getLogger(__name__)

# Unknowns per block-diagonal factorisation. SuperLU's cost per block is flat up to a few
# thousand unknowns and grows past that (measured: 2D n=32, chunks of 1-4 blocks are fastest).
DEFAULT_CHUNK_UNKNOWNS = 1 << 12


def _boundary_rhs(
    faces: list[np.ndarray], boundary: np.ndarray, hs: tuple[float, ...], d: int
) -> np.ndarray:
    """Known Dirichlet values moved to the right-hand side: sum of k_face·g/h² at the walls."""
    space = tuple(fa.shape[fa.ndim - d + a] - 1 for a, fa in enumerate(faces))
    batch = np.broadcast_shapes(faces[0].shape[:-d], boundary.shape[:-d])
    out = np.zeros(batch + space)
    for a, (fa, h) in enumerate(zip(faces, hs, strict=True)):
        inner = [slice(1, -1)] * d
        for wall, face_idx, out_idx in ((0, 0, 0), (-1, -1, -1)):
            g_sl, f_sl, o_sl = list(inner), [slice(None)] * d, [slice(None)] * d
            g_sl[a], f_sl[a], o_sl[a] = wall, face_idx, out_idx
            out[(Ellipsis, *o_sl)] += fa[(Ellipsis, *f_sl)] * boundary[(Ellipsis, *g_sl)] / h**2
    return out


def _assemble_blocks(faces: list[np.ndarray], hs: tuple[float, ...], d: int) -> sp.csc_matrix:
    """Block-diagonal matrix of a batch of operators; faces have shape (B, ...)."""
    import scipy.sparse as sp

    nb = faces[0].shape[0]
    space = tuple(fa.shape[1 + a] - 1 for a, fa in enumerate(faces))
    n = math.prod(space)
    idx = np.arange(n).reshape(space)
    offsets = (np.arange(nb) * n).reshape((nb,) + (1,) * d)
    diag = np.zeros((nb, *space))
    rows, cols, vals = [], [], []
    for a, (fa, h) in enumerate(zip(faces, hs, strict=True)):
        lo, hi, mid = [slice(None)] * d, [slice(None)] * d, [slice(None)] * d
        lo[a], hi[a], mid[a] = slice(0, -1), slice(1, None), slice(1, -1)
        diag += (fa[(slice(None), *lo)] + fa[(slice(None), *hi)]) / h**2
        # neighbours p and p + stride along axis a, coupled by the interior faces
        p = (idx[tuple(lo)] + offsets).ravel()
        q = (idx[tuple(hi)] + offsets).ravel()
        w = (-fa[(slice(None), *mid)] / h**2).ravel()
        rows += [p, q]
        cols += [q, p]
        vals += [w, w]
    all_idx = np.arange(nb * n)
    rows.append(all_idx)
    cols.append(all_idx)
    vals.append(diag.ravel())
    return sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(nb * n, nb * n),
    )


def assemble(kappa: np.ndarray, spacing: float | Sequence[float] | None = None) -> sp.csc_matrix:
    """System matrix A for one conductivity field (A u = f on the interior nodes).

    Args:
        kappa: node values, shape (n+2,) in 1D or (n+2, m+2) in 2D.
        spacing: grid step per axis; default 1/(n+1) (unit interval / square).

    Returns:
        Sparse (N, N) matrix, N = n or n·m, unknowns in C order over (x, y).
    """
    kappa = np.asarray(kappa, dtype=float)
    if kappa.ndim not in (1, 2) or min(kappa.shape) < 3:
        raise ValueError(
            f"kappa must have shape (n+2,) or (n+2, m+2) with n >= 1, got {kappa.shape}"
        )
    d = kappa.ndim
    space = tuple(s - 2 for s in kappa.shape)
    check_kappa(kappa, d)
    return _assemble_blocks(face_conductivities(kappa[None], d), grid_spacing(space, spacing), d)


def solve(
    kappa: np.ndarray,
    f: np.ndarray,
    *,
    boundary: np.ndarray | None = None,
    dim: int | None = None,
    spacing: float | Sequence[float] | None = None,
    chunk_unknowns: int = DEFAULT_CHUNK_UNKNOWNS,
) -> np.ndarray:
    """Solve -div(kappa grad u) = f with u = ``boundary`` (default 0) on the boundary nodes.

    Args:
        kappa: conductivity on all nodes, shape (..., n+2) or (..., n+2, m+2); > 0 inside,
            >= 0 on the boundary (0 = insulated wall).
        f: source on the interior nodes, shape (..., n) or (..., n, m).
        boundary: Dirichlet values with the shape of kappa (only boundary nodes are read);
            leading dims broadcast. None means u = 0.
        dim: 1 or 2; inferred from the shapes when None (an error if ambiguous).
        spacing: grid step per axis (scalar or tuple); default 1/(n+1) per axis.
        chunk_unknowns: unknowns per block-diagonal factorisation (memory bound).

    Returns:
        u on the interior nodes, float64, shape broadcast(leading dims) + f's grid shape.
    """
    kappa = np.asarray(kappa, dtype=float)
    f = np.asarray(f, dtype=float)
    d = spatial_dim(kappa, f, dim)
    if not np.all(np.isfinite(f)):
        raise ValueError("f contains NaN or inf")
    check_kappa(kappa, d)
    space = f.shape[-d:]
    hs = grid_spacing(space, spacing)
    faces = face_conductivities(kappa, d)
    rhs = f
    if boundary is not None:
        boundary = np.asarray(boundary, dtype=float)
        if boundary.shape[-d:] != kappa.shape[-d:]:
            raise ValueError(
                f"boundary must have kappa's grid shape {kappa.shape[-d:]}, got {boundary.shape}"
            )
        rhs = f + _boundary_rhs(faces, boundary, hs, d)

    kb = kappa.shape[:-d]
    batch = np.broadcast_shapes(kb, rhs.shape[:-d])
    kb = (1,) * (len(batch) - len(kb)) + kb
    # Group the batch by distinct kappa: kappa-varying axes first (Bk), the rest are RHS (R).
    k_axes = [i for i, s in enumerate(kb) if s != 1]
    r_axes = [i for i in range(len(batch)) if i not in k_axes]
    perm = k_axes + r_axes
    n_k = math.prod(batch[i] for i in k_axes)
    n_r = math.prod(batch[i] for i in r_axes)
    n = math.prod(space)
    rhs = np.broadcast_to(rhs, batch + space).transpose(*perm, *range(len(batch), len(batch) + d))
    rhs = rhs.reshape(n_k, n_r, n)
    faces = [fa.reshape((n_k, *fa.shape[-d:])) for fa in faces]

    import scipy.sparse.linalg as spla

    u = np.empty((n_k, n_r, n))
    chunk = max(1, chunk_unknowns // n)
    for start in range(0, n_k, chunk):  # loop over chunks of factorisations, not samples
        stop = min(start + chunk, n_k)
        a = _assemble_blocks([fa[start:stop] for fa in faces], hs, d)
        b = rhs[start:stop].transpose(0, 2, 1).reshape((stop - start) * n, n_r)
        # symmetric minimum-degree ordering suits the SPD 5-point matrix (~30 % faster than COLAMD)
        lu = spla.splu(a, permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
        x = lu.solve(np.ascontiguousarray(b))
        u[start:stop] = x.reshape(stop - start, n, n_r).transpose(0, 2, 1)
    log.debug("solved %d factorisations x %d right-hand sides, %d unknowns", n_k, n_r, n)

    u = u.reshape(tuple(batch[i] for i in perm) + space)
    inv = np.argsort(perm).tolist()
    return u.transpose(*inv, *range(len(batch), len(batch) + d))


def flux_magnitude(
    kappa: np.ndarray,
    u: np.ndarray,
    *,
    boundary: np.ndarray | None = None,
    spacing: float | Sequence[float] | None = None,
) -> np.ndarray:
    """|kappa grad u| at the interior nodes of a 2D solution, from the face fluxes.

    The flux through each face is -k_face (u_hi - u_lo)/h with the same harmonic-mean face
    conductivities as the solver; the node value per axis is the mean of its two faces.

    Args:
        kappa: (..., n+2, m+2) node conductivities (as passed to ``solve``).
        u: (..., n, m) interior solution.
        boundary: Dirichlet values with kappa's shape (None = 0).
        spacing: grid step per axis; default 1/(n+1).

    Returns:
        (..., n, m) flux magnitude (units of kappa · u / length).
    """
    kappa = np.asarray(kappa, dtype=float)
    u = np.asarray(u, dtype=float)
    d = spatial_dim(kappa, u, 2)
    hs = grid_spacing(u.shape[-d:], spacing)
    batch = np.broadcast_shapes(kappa.shape[:-d], u.shape[:-d])
    full = np.zeros(batch + kappa.shape[-d:])
    if boundary is not None:
        full[...] = boundary
    full[..., 1:-1, 1:-1] = u
    comps = []
    for a, (fa, h) in enumerate(zip(face_conductivities(kappa, d), hs, strict=True)):
        inner = [slice(1, -1)] * d
        lo, hi = list(inner), list(inner)
        lo[a], hi[a] = slice(0, -1), slice(1, None)
        q = -fa * (full[(Ellipsis, *hi)] - full[(Ellipsis, *lo)]) / h  # (..., n_a + 1, ...)
        first, last = [slice(None)] * d, [slice(None)] * d
        first[a], last[a] = slice(0, -1), slice(1, None)
        comps.append(0.5 * (q[(Ellipsis, *first)] + q[(Ellipsis, *last)]))
    return np.sqrt(sum(c**2 for c in comps))
