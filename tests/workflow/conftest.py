"""Helpers to run the real Snakemake workflow in a temporary directory."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "config" / "tiny.yaml"  # the whole tiny study, as the README runs it
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def snakemake_cmd(workdir: Path, *args: str, configfiles: tuple[Path, ...] = ()) -> list[str]:
    """The command that runs the workflow of this checkout in ``workdir`` with the tiny
    config. ``args`` (targets, flags) come first: ``--configfile`` takes several values and
    would swallow a target written after it. ``configfiles`` are layered over the tiny one."""
    return [
        str(SNAKEMAKE),
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        *args,
        "--configfile",
        str(TINY),
        *map(str, configfiles),
    ]


def run_snakemake(
    workdir: Path, *args: str, configfiles: tuple[Path, ...] = (), check: bool = True
) -> subprocess.CompletedProcess:
    """Run the workflow in ``workdir`` on 2 cores (see ``snakemake_cmd``)."""
    cmd = snakemake_cmd(workdir, "--cores", "2", *args, configfiles=configfiles)
    # the whole tiny study takes about 2.5 min on 2 idle cores: the limit only stops a hung
    # run and leaves room for a machine loaded far more than 2x
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=2400)
    if check and proc.returncode != 0:
        out = f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        raise AssertionError(f"{' '.join(cmd)} failed:\n{out}")
    return proc


@pytest.fixture
def snakemake_runner():
    return run_snakemake
