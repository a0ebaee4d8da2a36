"""The wall time of each run of a reference problem, kept even when a run is killed outright.

``make reference`` runs each problem through :func:`timed`, which appends the run's seconds
to ``wall/{problem}.s`` (one line per run; ``stages.archive.wall_runs`` sums them). A run
stopped by a signal (Ctrl-C, TERM, HUP) appends its time on the way out. One killed outright
(SIGKILL: a session, a job scheduler's hard limit or a machine that goes away) cannot, so
while it runs a heartbeat file ``wall/{problem}.beat`` holds its elapsed seconds, rewritten
every ``beat_s`` seconds, and the next run of the problem appends that (the time up to the
last beat) before it starts. The jobs a killed run left unfinished run again on resume, so
their time counts twice, as it was spent twice.
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from uqbench import io

log = logging.getLogger(__name__)

BEAT_S = 30.0  # heartbeat period: the most a run killed outright can lose of its time
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOPPED_EXIT = 130  # the exit status of a run stopped by a signal


def beat_path(wall: Path) -> Path:
    """The heartbeat file beside ``wall`` (``wall/elu.s`` -> ``wall/elu.beat``)."""
    return wall.with_suffix(".beat")


def append_seconds(wall: Path, seconds: float) -> None:
    """Append one run's ``seconds`` as a line of ``wall`` (atomically: old lines kept)."""
    old = wall.read_text() if wall.is_file() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    io.atomic_write_text(wall, f"{old}{seconds:.0f}\n")


def recover(wall: Path) -> float | None:
    """Append the time of a run killed outright (its heartbeat file's seconds) to ``wall``
    and remove the heartbeat; None when there is none (the last run ended by itself)."""
    beat = beat_path(wall)
    if not beat.is_file():
        return None
    try:
        seconds = float(beat.read_text())
    except ValueError as err:
        raise ValueError(f"{beat}: not a number of seconds: {err}") from err
    append_seconds(wall, seconds)
    beat.unlink()
    log.info("a run killed outright: its %.0f s (to its last heartbeat) added to %s", seconds, wall)
    return seconds


def timed(cmd: Sequence[str], wall: Path, beat_s: float = BEAT_S) -> int:
    """Run ``cmd`` and append its wall time (s) to ``wall``; return its exit status
    (``STOPPED_EXIT`` when a stop signal reached this process; it waits for the command to
    stop too). A heartbeat (module doc) covers a kill outright."""
    wall.parent.mkdir(parents=True, exist_ok=True)
    recover(wall)
    beat = beat_path(wall)
    start = time.monotonic()
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(beat_s):
            io.atomic_write_text(beat, f"{time.monotonic() - start:.0f}\n")

    proc = subprocess.Popen(list(cmd))
    stopped: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        # Ctrl-C reaches the terminal's whole process group, the command with it; a TERM or
        # HUP may be sent to this process alone (kill PID), so it is passed on, once per signal.
        if signum != signal.SIGINT and signum not in stopped:
            proc.send_signal(signum)
        stopped.append(signum)

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    thread = threading.Thread(target=heartbeat, daemon=True)
    thread.start()
    try:
        rc = proc.wait()
    finally:
        done.set()
        thread.join()
        for s, handler in previous.items():
            signal.signal(s, handler)
        append_seconds(wall, time.monotonic() - start)
        beat.unlink(missing_ok=True)
    if stopped:
        log.info("stopped by signal %d after %.0f s", stopped[0], time.monotonic() - start)
        return STOPPED_EXIT
    return rc


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wall", type=Path, help="wall/{problem}.s of the study directory")
    parser.add_argument("--beat", type=float, default=BEAT_S, help="heartbeat period (s)")
    parser.add_argument(
        "cmd",
        nargs=argparse.REMAINDER,
        help="the command to time, after --; without one, "
        "only add the time of a run killed outright (its heartbeat) to WALL",
    )
    args = parser.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if cmd:
        sys.exit(timed(cmd, args.wall, args.beat))
    recover(args.wall)
