# Recovery of the working-directory lock of a killed run.
import os
import socket
from pathlib import Path


# -- locks of killed runs ------------------------------------------------------------------
# Snakemake locks the working directory while it runs; a run killed with SIGKILL cannot
# release the lock, and the next `snakemake` would stop with "Directory cannot be locked".
# The main process records its host and PID when it starts and removes the record when it
# ends; at parse time a record whose process is gone (same host) marks the lock as stale,
# so the lock is released and the rerun resumes. A live owner, another host, or a lock with
# no record are left alone (Snakemake then reports the lock as usual).
LOCK_OWNER = Path(".snakemake/uqbench_lock_owner")


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_stale_lock():
    if not LOCK_OWNER.exists():
        return
    host, _, pid = LOCK_OWNER.read_text().partition(" ")
    if host != socket.gethostname() or not pid.strip().isdigit() or _running(int(pid)):
        return
    for lock in Path(".snakemake/locks").glob("*.lock"):
        lock.unlink()
    LOCK_OWNER.unlink()
    logger.warning(f"released the lock of a killed run (PID {pid.strip()} on {host})")


def record_lock_owner():
    LOCK_OWNER.parent.mkdir(parents=True, exist_ok=True)
    LOCK_OWNER.write_text(f"{socket.gethostname()} {os.getpid()}")


def clear_lock_owner():
    LOCK_OWNER.unlink(missing_ok=True)


if workflow.is_main_process:
    release_stale_lock()
