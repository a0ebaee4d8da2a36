"""Logging set-up for the rule scripts: everything to the rule's log file."""

from __future__ import annotations

import logging


def to_file(path: str, level: int = logging.INFO) -> None:
    """Send all log records (library modules included) to ``path``."""
    logging.basicConfig(
        filename=path, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
