"""uqbench: a benchmark workflow for uncertainty quantification in operator learning."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("uqbench")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"
