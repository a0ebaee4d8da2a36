"""Logging set-up for the rule scripts: everything to the rule's log file."""

from __future__ import annotations

import logging
import os
import socket
import sys
from types import TracebackType


def to_file(path: str, level: int = logging.INFO) -> None:
    """Send all log records (library modules included) to ``path``.

    The first line names the host and, under Slurm, the job id, so a log can be traced to
    the cluster job that wrote it. An exception that ends the job is written there too
    (with its traceback), not only to Snakemake's own output.
    """
    logging.basicConfig(
        filename=path, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    job = os.environ.get("SLURM_JOB_ID")
    logging.getLogger(__name__).info(
        "host %s%s", socket.gethostname(), f" SLURM_JOB_ID={job}" if job else ""
    )
    sys.excepthook = _log_uncaught


def _log_uncaught(kind: type[BaseException], err: BaseException, tb: TracebackType | None) -> None:
    logging.getLogger("uqbench").error("the job failed", exc_info=(kind, err, tb))
    sys.__excepthook__(kind, err, tb)
