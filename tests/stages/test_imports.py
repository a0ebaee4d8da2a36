"""Jobs import what they use: the table, claims, cost and study-figure jobs read JSON, CSV
and benchmark files, so they load neither torch nor xarray (~2-3 s of start-up per job)."""

import subprocess
import sys

import pytest

LIGHT = ("uqbench.stages.tables", "uqbench.stages.cost", "uqbench.stages.study_figures")


@pytest.mark.parametrize("module", LIGHT)
def test_a_light_stage_imports_neither_torch_nor_xarray(module):
    code = f"import sys, {module}; print(sorted({{'torch', 'xarray'}} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
