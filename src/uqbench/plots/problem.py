"""Per-problem figures comparing each method's predictive samples with the true realizations.

* bands: true 95 % band and mean against each method's, for 3 test inputs (1D: curves;
  2D: centre-line slice plus std maps; porous: failure points on the porosity image).
* samples: 5 draws per method next to 5 true realizations (smooth vs noisy).
* correlation: correlation of every point with a reference point (the centre), true vs
  predicted (porous: correlation between the x and y failure coordinates).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from uqbench.plots.common import COLORS, plt

CASES = (0, 1, 2)


def _band(s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo, hi = np.nanquantile(s, [0.025, 0.975], axis=0)
    return np.nanmean(s, 0), lo, hi


def _bands(ds, src: dict, fig_axes) -> plt.Figure:
    kind = ds.attrs["output_kind"]
    cases = [c for c in CASES if c < ds.sizes["case"]]
    if kind == "point":
        fig, axes = fig_axes(1, len(cases))
        for ax, c in zip(axes[0], cases, strict=True):
            ax.imshow(ds["input"].values[c].T, origin="lower", extent=(0, 1, 0, 1), cmap="gray_r")
            for color, (name, s) in zip(["k", *COLORS], src.items(), strict=False):
                ax.scatter(s[:, c, 0], s[:, c, 1], s=4, color=color, alpha=0.4, label=name)
            ax.set(title=f"case {c}: failure points", xlim=(0, 1), ylim=(0, 1))
        axes[0, 0].legend(fontsize=7, markerscale=3)
        return fig
    if kind == "field":
        fig, axes = fig_axes(len(cases), 1 + len(src))
        mid = ds.sizes["y"] // 2
        for row, c in zip(axes, cases, strict=True):
            for color, (name, s) in zip(["k", *COLORS], src.items(), strict=False):
                m, lo, hi = _band(s[:, c, :, mid])
                row[0].plot(ds["x"], m, color=color, label=name)
                row[0].fill_between(ds["x"], lo, hi, color=color, alpha=0.15)
            row[0].set(title=f"case {c}: slice y = {float(ds['y'][mid]):.2f}", xlabel="x")
            for ax, (name, s) in zip(row[1:], src.items(), strict=True):
                im = ax.imshow(np.nanstd(s[:, c], 0).T, origin="lower")
                ax.set(title=f"{name} std", xticks=[], yticks=[])
                plt.colorbar(im, ax=ax, fraction=0.046)
        axes[0, 0].legend(fontsize=7)
        return fig
    fig, axes = fig_axes(1, len(cases))
    for ax, c in zip(axes[0], cases, strict=True):
        for color, (name, s) in zip(["k", *COLORS], src.items(), strict=False):
            m, lo, hi = _band(s[:, c])
            ax.plot(ds["x"], m, color=color, label=f"{name} mean")
            ax.fill_between(ds["x"], lo, hi, color=color, alpha=0.15)
        ax.set(title=f"case {c}: mean and 95 % band", xlabel="x")
    axes[0, 0].legend(fontsize=7)
    return fig


def _samples(ds, src: dict, fig_axes, n: int = 5) -> plt.Figure:
    kind = ds.attrs["output_kind"]
    if kind == "field":
        fig, axes = fig_axes(len(src), n)
        for row, (name, s) in zip(axes, src.items(), strict=True):
            for i, ax in enumerate(row):
                ax.imshow(s[i, 0].T, origin="lower")
                ax.set(xticks=[], yticks=[], title=f"{name} draw {i}" if i == 0 else "")
        return fig
    fig, axes = fig_axes(1, len(src))
    for ax, (name, s) in zip(axes[0], src.items(), strict=True):
        if kind == "point":
            ax.imshow(ds["input"].values[0].T, origin="lower", extent=(0, 1, 0, 1), cmap="gray_r")
            ax.scatter(s[:n, 0, 0], s[:n, 0, 1], color="r", s=12)
        else:
            ax.plot(ds["x"], s[:n, 0].T, lw=1)
        ax.set(title=f"{name}: {n} draws (case 0)")
    return fig


def _correlation(ds, src: dict, fig_axes) -> plt.Figure:
    kind = ds.attrs["output_kind"]
    fig, axes = fig_axes(1, len(src) if kind != "point" else 1)
    for i, (name, s) in enumerate(src.items()):
        flat = s[:, 0].reshape(s.shape[0], -1)  # case 0, points flattened
        ref = flat.shape[1] // 2 if kind == "curve" else np.ravel_multi_index(
            tuple(n // 2 for n in s.shape[2:]), s.shape[2:]) if kind == "field" else 1  # fmt: skip
        z = (flat - flat.mean(0)) / np.where(flat.std(0) > 0, flat.std(0), np.nan)
        corr = (z * z[:, [ref]]).mean(0)
        if kind == "point":
            axes[0, 0].bar(i, corr[0], label=name)
            axes[0, 0].set(title="corr(x, y) of the failure point, case 0", xticks=[])
            axes[0, 0].legend(fontsize=7)
        elif kind == "field":
            im = axes[0, i].imshow(corr.reshape(s.shape[2:]).T, origin="lower", vmin=-1, vmax=1,
                                   cmap="RdBu_r")  # fmt: skip
            axes[0, i].set(title=f"{name}: corr with centre", xticks=[], yticks=[])
            plt.colorbar(im, ax=axes[0, i], fraction=0.046)
        else:
            axes[0, i].plot(ds["x"], corr)
            axes[0, i].axvline(float(ds["x"][ref]), color="gray", ls=":")
            axes[0, i].set(title=f"{name}: corr with x = {float(ds['x'][ref]):.2f}", ylim=(-1, 1))
    return fig


MAX_COLS = 6  # panels per row before a one-row figure wraps

KINDS = {"bands": _bands, "samples": _samples, "correlation": _correlation}


def problem_figure(kind: str, ds: xr.Dataset, src: Mapping[str, np.ndarray]) -> plt.Figure:
    """Figure ``kind`` (bands, samples, correlation) of one problem's test split: ``ds`` is
    the split's data (input, output and coordinates), ``src`` maps a source name ("truth"
    first, then each method) to its samples (sample, case, *output dims)."""
    if kind not in KINDS:
        raise ValueError(f"unknown figure kind {kind!r}; expected one of {sorted(KINDS)}")

    def fig_axes(rows: int, cols: int):
        if rows == 1 and cols > MAX_COLS:  # one panel per source: wrap into a grid
            grid_rows = -(-cols // MAX_COLS)
            fig, axes = plt.subplots(grid_rows, MAX_COLS, figsize=(3.6 * MAX_COLS, 3.5 * grid_rows),
                                     squeeze=False)  # fmt: skip
            for extra in axes.flat[cols:]:
                extra.set_visible(False)
            return fig, axes.reshape(-1)[:cols].reshape(1, cols)  # still indexed [0, i]
        return plt.subplots(rows, cols, figsize=(3.6 * cols, 3.0 * rows), squeeze=False)

    fig = KINDS[kind](ds, src, fig_axes)
    fig.suptitle(f"{ds.attrs['problem']}: {kind}", y=1.02)  # above the panel titles
    return fig
