"""Helpers to run the real Snakemake workflow in a temporary directory."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "config" / "tiny.yaml"  # the whole tiny study, as the README runs it
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def run_snakemake(
    workdir: Path, *args: str, configfiles: tuple[Path, ...] = (), check: bool = True
) -> subprocess.CompletedProcess:
    """Run the workflow of this checkout in ``workdir`` with the tiny config.

    ``args`` (targets, flags) come first: ``--configfile`` takes several values and would
    swallow a target written after it. ``configfiles`` are layered over the tiny config.
    """
    cmd = [
        str(SNAKEMAKE),
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        "2",
        *args,
        "--configfile",
        str(TINY),
        *map(str, configfiles),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        out = f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        raise AssertionError(f"{' '.join(cmd)} failed:\n{out}")
    return proc


@pytest.fixture
def snakemake_runner():
    return run_snakemake
