import pytest

TINY_SIZES = {"train": 24, "val": 8, "calib": 8, "test": 6, "ood": 6, "realizations": 16}


@pytest.fixture
def tiny_sizes():
    return dict(TINY_SIZES)
