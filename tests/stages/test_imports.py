"""Jobs import what they use: the table, claims, cost and study-figure jobs read JSON, CSV
and benchmark files, so they load neither torch nor xarray (~2-3 s of start-up per job); the
data jobs load torch only where poisson's solver needs it."""

import subprocess
import sys

import pytest

LIGHT = ("uqbench.stages.tables", "uqbench.stages.cost", "uqbench.stages.figures")
DATA = "uqbench.stages.data"  # generating elu and porous data needs numpy only


@pytest.mark.parametrize("module", LIGHT)
def test_a_light_stage_imports_neither_torch_nor_xarray(module):
    code = f"import sys, {module}; print(sorted({{'torch', 'xarray'}} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_the_data_stage_imports_no_torch_until_a_model_or_solver_needs_it():
    code = f"import sys, {DATA}; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
