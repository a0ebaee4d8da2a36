"""Per-problem figures of each method's predictive samples against the true realizations.

``src`` maps "truth" (first) and each method to samples (sample, case, *output dims); ``ds``
is the test split (inputs, coordinates, ``output_kind``: curve, field or point). Every figure
has one panel per method (rows) and, where cases matter, per case (columns); the truth is
drawn in black or grey in every panel, so a method is always read against it.

* bands: curve, the truth's 95 % band (grey) under the method's band and mean; field, std
  maps with one colour scale per case (the truth's) and the method's std minus the truth's;
  point, the truth's and the method's failure points in the bar.
* samples: five draws of case 0 (point: all draws as two clouds, truth and method).
* correlation: the correlation of every point with a reference point (the centre), truth
  beside method, case 0; point, the method's corr(x, y) of the failure point against the
  truth's, one dot per test case. No spread: an empty panel saying so.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from uqbench.plots.catalogue import Sources
from uqbench.plots.common import TRUTH, color, grid, has_spread, no_spread, panels, plt

CASES = (0, 1, 2)
N_DRAWS = 5


def _band(s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo, hi = np.nanquantile(s, [0.025, 0.975], axis=0)
    return np.nanmean(s, 0), lo, hi


def _methods(src: Mapping[str, np.ndarray]) -> list[str]:
    return [m for m in src if m != TRUTH]


def _bar(ax: plt.Axes, ds: xr.Dataset, case: int) -> None:
    """The porosity image of a case in the fixed [0, 1] x [0, 1] frame with the bar's aspect."""
    img = ds["input"].values[case]
    ax.imshow(img.T, origin="lower", extent=(0, 1, 0, 1), cmap="gray_r", aspect="auto")
    ax.set(xlim=(0, 1), ylim=(0, 1), xticks=[0, 1], yticks=[0, 1])
    ax.set_box_aspect(img.shape[1] / img.shape[0])


def _points(ax: plt.Axes, truth: np.ndarray, s: np.ndarray, name: str) -> None:
    ax.scatter(truth[:, 0], truth[:, 1], s=3, color="0.5", alpha=0.5, label=TRUTH, lw=0)
    ax.scatter(s[:, 0], s[:, 1], s=3, color=color(name), alpha=0.6, label=name, lw=0)


def bands(ds: xr.Dataset, src: Mapping[str, np.ndarray]) -> plt.Figure:
    kind, methods = ds.attrs["output_kind"], _methods(src)
    cases = [c for c in CASES if c < ds.sizes["case"]]
    truth = src[TRUTH]
    if kind == "field":
        return _std_maps(ds, src, cases)
    fig, axes = grid(len(methods), len(cases), sharex=True, sharey=kind == "curve")
    drawn: list[np.ndarray] = []  # every curve's values, for the limits set once at the end
    for row, name in zip(axes, methods, strict=True):
        for ax, c in zip(row, cases, strict=True):
            s = src[name][:, c]
            if kind == "point":
                _bar(ax, ds, c)
                _points(ax, truth[:, c], s, name)
            else:
                # autoscaling after each artist re-limits every shared axis: quadratic in
                # the panels (6 of the 8 s of a 48-panel figure); limits are set once below
                ax.set_autoscale_on(False)
                tm, tlo, thi = _band(truth[:, c])
                m, lo, hi = _band(s)
                ax.fill_between(ds["x"], tlo, thi, color="0.8", lw=0, label="truth 95 %")
                ax.plot(ds["x"], tm, color="k", lw=0.8, ls="--", label="truth mean")
                ax.fill_between(ds["x"], lo, hi, color=color(name), alpha=0.35, lw=0)
                ax.plot(ds["x"], m, color=color(name), lw=1, label=name)
                drawn += [tm, tlo, thi, m, lo, hi]
            ax.set_title(f"{name}, case {c}")
    if kind == "curve":
        _limits(axes[0, 0], ds["x"].values, drawn)
    axes[0, 0].legend(loc="best", fontsize=8)
    return fig


def _padded(v: np.ndarray) -> tuple[float, float]:
    """The range of v's finite values with matplotlib's default 5 % margins."""
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    return lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)


def _limits(ax: plt.Axes, x: np.ndarray, ys: list[np.ndarray]) -> None:
    """x and y limits of the curves drawn (the axes sharing them follow)."""
    ax.set_xlim(*_padded(x))
    ax.set_ylim(*_padded(np.concatenate([np.ravel(v) for v in ys])))


def _std_maps(ds: xr.Dataset, src: Mapping[str, np.ndarray], cases: list[int]) -> plt.Figure:
    """Rows: truth, then each method; per case two columns: the std map on the truth's
    colour scale for that case, and std − truth std on a symmetric scale."""
    names = [TRUTH, *_methods(src)]
    fig, axes = grid(len(names), 2 * len(cases))
    for j, c in enumerate(cases):
        true_std = np.nanstd(src[TRUTH][:, c], 0)
        top = float(np.nanmax(true_std))
        for row, name in zip(axes, names, strict=True):
            std = np.nanstd(src[name][:, c], 0)
            im = row[2 * j].imshow(std.T, origin="lower", vmin=0, vmax=top, cmap="viridis")
            row[2 * j].set(title=f"{name} std, case {c}", xticks=[], yticks=[])
            if name == TRUTH:  # its difference with itself says nothing
                row[2 * j + 1].set_visible(False)
                continue
            diff = row[2 * j + 1].imshow(
                (std - true_std).T, origin="lower", vmin=-top, vmax=top, cmap="RdBu_r"
            )
            row[2 * j + 1].set(title=f"{name} − truth", xticks=[], yticks=[])
        fig.colorbar(im, ax=axes[:, 2 * j], shrink=0.6, label="std")
        fig.colorbar(diff, ax=axes[:, 2 * j + 1], shrink=0.6, label="std − truth std")
    return fig


def samples(ds: xr.Dataset, src: Mapping[str, np.ndarray]) -> plt.Figure:
    kind, names = ds.attrs["output_kind"], list(src)
    truth = src[TRUTH]
    if kind == "point":
        methods = _methods(src)
        fig, axes = grid(1, len(methods))
        for ax, name in zip(axes[0], methods, strict=True):
            _bar(ax, ds, 0)
            _points(ax, truth[:, 0], src[name][:, 0], name)
            ax.set_title(f"{name}, case 0")
        return fig
    if kind == "field":
        lo, hi = np.nanquantile(truth[:, 0], [0.01, 0.99])
        fig, axes = grid(len(names), N_DRAWS)
        for row, name in zip(axes, names, strict=True):
            for i, ax in enumerate(row):
                ax.imshow(src[name][i, 0].T, origin="lower", vmin=lo, vmax=hi)
                ax.set(xticks=[], yticks=[], title=f"{name} draw {i}")
        return fig
    fig, axes = panels(len(names), sharex=True, sharey=True)
    for ax, name in zip(axes, names, strict=True):
        ax.plot(ds["x"], src[name][:N_DRAWS, 0].T, lw=0.8, color=color(name))
        ax.set(title=f"{name}: {N_DRAWS} draws, case 0", xlabel="x")
    return fig


def _corr_with(s: np.ndarray, ref: int) -> np.ndarray:
    """Correlation of every point with point ``ref`` over the samples: s (sample, point)."""
    z = s - s.mean(0)
    sd = z.std(0)
    return (z * z[:, [ref]]).mean(0) / np.where(sd * sd[ref] > 0, sd * sd[ref], np.nan)


def _xy_correlation(s: np.ndarray) -> np.ndarray:
    """corr(x, y) over the samples of each case: s (sample, case, 2) -> (case,); NaN where
    a coordinate does not vary."""
    z = s - s.mean(0)
    sd = z.std(0)
    den = sd[:, 0] * sd[:, 1]
    return (z[..., 0] * z[..., 1]).mean(0) / np.where(den > 0, den, np.nan)


def _point_correlation(src: Mapping[str, np.ndarray], methods: list[str]) -> plt.Figure:
    """One panel per method: its corr(x, y) of the failure point against the truth's, a dot
    per test case, on the diagonal where the dependence between x and y is right."""
    truth = _xy_correlation(src[TRUTH])
    fig, axes = panels(len(methods), sharex=True, sharey=True)
    for ax, name in zip(axes, methods, strict=True):
        if not has_spread(src[name]):
            no_spread(ax, name)
            continue
        ax.plot([-1, 1], [-1, 1], color="k", lw=0.8, ls="--", label="method = truth")
        ax.scatter(truth, _xy_correlation(src[name]), s=6, color=color(name), lw=0)
        ax.set(xlim=(-1, 1), ylim=(-1, 1), title=name, xlabel=f"corr(x, y), {TRUTH}")
    axes[0].legend(loc="lower right")
    axes[0].set_ylabel("corr(x, y), method")
    return fig


def correlation(ds: xr.Dataset, src: Mapping[str, np.ndarray]) -> plt.Figure:
    kind, methods = ds.attrs["output_kind"], _methods(src)
    if kind == "point":  # every case, not case 0 against a reference point
        return _point_correlation(src, methods)
    flat = {n: s[:, 0].reshape(s.shape[0], -1) for n, s in src.items()}  # case 0
    shape = src[TRUTH].shape[2:]
    ref = int(np.ravel_multi_index(tuple(n // 2 for n in shape), shape))
    truth = _corr_with(flat[TRUTH], ref)
    if kind == "field":
        names = [TRUTH, *methods]
        fig, axes = panels(len(names), max_cols=6)
        for ax, name in zip(axes, names, strict=True):
            if not has_spread(flat[name]):
                no_spread(ax, name)
                continue
            im = ax.imshow(
                _corr_with(flat[name], ref).reshape(shape).T,
                origin="lower",
                vmin=-1,
                vmax=1,
                cmap="RdBu_r",
            )
            ax.set(title=name, xticks=[], yticks=[])
        fig.colorbar(im, ax=axes, shrink=0.7, label="corr with centre")
        return fig
    fig, axes = panels(len(methods), sharex=True, sharey=True)
    x = ds["x"].values
    for ax, name in zip(axes, methods, strict=True):
        if not has_spread(flat[name]):
            no_spread(ax, name)
            continue
        ax.plot(x, truth, color="k", lw=0.8, ls="--", label=f"{TRUTH}, corr with x = {x[ref]:.2f}")
        ax.plot(x, _corr_with(flat[name], ref), color=color(name), lw=1)
        ax.axvline(x[ref], color="0.6", ls=":", lw=0.8)
        ax.set(ylim=(-1.05, 1.05), title=name, xlabel="x")
    axes[0].legend(loc="lower right")  # the truth: dashed black in every panel
    return fig


KINDS = {"bands": bands, "samples": samples, "correlation": correlation}


def problem_figure(sources: Sources, kind: str) -> plt.Figure:
    """Figure ``kind`` (bands, samples, correlation) of one problem's test split and the
    samples drawn against it (``plots.catalogue.Sources``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown figure kind {kind!r}; expected one of {sorted(KINDS)}")
    ds, src = sources
    fig = KINDS[kind](ds, src)
    fig.suptitle(f"{ds.attrs['problem']}: {kind}")
    return fig
