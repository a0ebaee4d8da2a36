"""PDE building blocks: Gaussian random fields and the finite-difference Poisson solver."""

from uqbench.pde.pcg import solve_each
from uqbench.pde.poisson import assemble, solve
from uqbench.pde.random_fields import FieldSpec, sample_field

__all__ = ["FieldSpec", "assemble", "sample_field", "solve", "solve_each"]
