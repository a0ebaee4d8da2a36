"""stages.wall: a reference run's wall time, kept when the run ends, is stopped, or is
killed outright (through its heartbeat)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from uqbench.stages import wall

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def wrapper(wall_file: Path, cmd: list[str], beat: float = 0.2) -> subprocess.Popen:
    """``python -m uqbench.stages.wall`` in its own process group (so the test can kill the
    whole group outright, as a session's end does)."""
    return subprocess.Popen(
        [sys.executable, "-m", "uqbench.stages.wall", "--beat", str(beat), str(wall_file),
         "--", *cmd],
        start_new_session=True,
    )  # fmt: skip


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not path.is_file():
        assert proc.poll() is None, f"the wrapper exited ({proc.returncode}) before {path}"
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.05)


def test_a_run_appends_its_seconds_and_passes_on_its_exit_status(tmp_path):
    f = tmp_path / "wall/elu.s"
    f.parent.mkdir()
    f.write_text("100\n")
    cmd = [sys.executable, "-c", "import time, sys; time.sleep(1.2); sys.exit(3)"]
    assert wall.timed(cmd, f, beat_s=0.1) == 3
    lines = f.read_text().split()
    assert lines[0] == "100" and len(lines) == 2 and 1 <= float(lines[1]) <= 30
    assert not wall.beat_path(f).exists()  # a run that ended leaves no heartbeat


def test_a_run_killed_outright_is_counted_to_its_last_heartbeat_at_the_next_run(tmp_path):
    f = tmp_path / "wall/porous.s"
    proc = wrapper(f, SLEEPER)
    beat = wall.beat_path(f)
    wait_for(beat, proc)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)  # the wrapper and its command, no handler runs
    proc.wait()
    assert not f.exists() and beat.is_file()
    seconds = wall.recover(f)
    assert seconds is not None and 0 <= seconds <= 30
    assert [float(x) for x in f.read_text().split()] == [seconds]
    assert not beat.exists() and wall.recover(f) is None  # added once only
    assert wall.timed([sys.executable, "-c", "pass"], f) == 0
    assert len(f.read_text().split()) == 2


def test_a_term_sent_to_the_wrapper_alone_stops_the_command_and_keeps_its_time(tmp_path):
    f = tmp_path / "wall/elu.s"
    proc = wrapper(f, SLEEPER)
    wait_for(wall.beat_path(f), proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == wall.STOPPED_EXIT  # not the sleeper's 60 s
    assert len(f.read_text().split()) == 1 and not wall.beat_path(f).exists()


def test_a_heartbeat_that_is_not_a_number_is_named(tmp_path):
    f = tmp_path / "wall/elu.s"
    f.parent.mkdir()
    wall.beat_path(f).write_text("half past\n")
    with pytest.raises(ValueError, match=r"elu\.beat"):
        wall.recover(f)
    assert not f.exists()
