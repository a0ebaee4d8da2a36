"""Session fixture: a private single-node Slurm, or a skip that says why there is none."""

import pytest

from tests.cluster.slurm import SlurmCluster, unavailable_reason


@pytest.fixture(scope="session")
def slurm(tmp_path_factory):
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
