"""Helpers to run the real Snakemake workflow in a temporary directory."""

import functools
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from uqbench.methods import tiny_hyper

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "config" / "tiny.yaml"
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


@functools.cache
def tiny_configs() -> tuple[Path, Path]:
    """The tiny study's config files: tests/config/tiny.yaml (problems, sizes, recipes) and
    every method's tiny settings (``Hyper.tiny()``, written once per test session)."""
    hyper = Path(tempfile.mkdtemp(prefix="uqbench-tiny-")) / "tiny_hyper.yaml"
    hyper.write_text(yaml.safe_dump({"hyper": tiny_hyper()}))
    return TINY, hyper


def run_snakemake(
    workdir: Path, *args: str, configfiles: tuple[Path, ...] = (), check: bool = True
) -> subprocess.CompletedProcess:
    """Run the workflow of this checkout in ``workdir`` with the tiny config.

    ``args`` (targets, flags) come first: ``--configfile`` takes several values and would
    swallow a target written after it. ``configfiles`` are layered over the tiny configs.
    """
    cmd = [
        str(SNAKEMAKE),
        "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir),
        "--cores", "2",
        *args,
        "--configfile", *map(str, tiny_configs()), *map(str, configfiles),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        out = f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        raise AssertionError(f"{' '.join(cmd)} failed:\n{out}")
    return proc


@pytest.fixture
def snakemake_runner():
    return run_snakemake
