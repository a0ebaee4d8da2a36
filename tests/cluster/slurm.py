"""A private single-node Slurm for the cluster tests: munged, slurmctld and slurmd started
as root without systemd (Debian 12 packages slurm-wlm 22.05 and munge), stopped by PID.

Everything lives in one temporary directory (config, state, spool, logs, munge socket and
key), on free ports, so it neither needs nor touches a system Slurm. Clients find the config
through SLURM_CONF. One wrinkle: snakemake-executor-plugin-slurm-jobstep strips every
SLURM_* variable except the job ids from the environment of the ``srun`` it starts inside a
job, so that ``srun`` would look for /etc/slurm/slurm.conf; a two-line ``srun`` shim first on
PATH re-exports SLURM_CONF. (A real cluster keeps its config at the default path.)
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "srun", "squeue", "sinfo")


def unavailable_reason() -> str | None:
    """Why a private Slurm cannot be started here, or None when it can."""
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        return (
            f"Slurm is not installed ({', '.join(missing)} not found); `make test` installs "
            "slurm-wlm and munge from envs/apt.txt when run as root"
        )
    if os.geteuid() != 0:
        return "starting slurmctld/slurmd without systemd needs root"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mem_total_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


class SlurmCluster:
    """Start with ``start()``, stop with ``stop()``; ``env`` points clients at this cluster."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.host = socket.gethostname().split(".")[0]
        self.cpus = os.cpu_count() or 1
        self.memory_mb = int(_mem_total_mb() * 0.6)  # RealMemory must stay below the machine's
        self.procs: list[subprocess.Popen] = []
        self.conf = root / "slurm.conf"
        bin_dir = root / "bin"
        self.env = {
            **os.environ,
            "SLURM_CONF": str(self.conf),
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    def write_config(self) -> None:
        r = self.root
        for d in ("state", "spool", "log", "bin"):
            (r / d).mkdir(exist_ok=True)
        shim = r / "bin" / "srun"
        shim.write_text(
            f'#!/bin/sh\nexport SLURM_CONF="{self.conf}"\nexec {shutil.which("srun")} "$@"\n'
        )
        shim.chmod(0o755)
        (r / "gpu0").touch()  # gres needs an existing file; no device is used
        (r / "gres.conf").write_text(f"AutoDetect=off\nName=gpu File={r / 'gpu0'}\n")
        self.conf.write_text(
            "\n".join(
                [
                    "ClusterName=uqbench-test",
                    f"SlurmctldHost={self.host}",
                    f"SlurmctldPort={_free_port()}",
                    f"SlurmdPort={_free_port()}",
                    "SlurmUser=root",
                    "SlurmdUser=root",
                    "AuthType=auth/munge",
                    "CredType=cred/munge",
                    f"AuthInfo=socket={r / 'munge.sock'}",
                    f"StateSaveLocation={r / 'state'}",
                    f"SlurmdSpoolDir={r / 'spool'}",
                    f"SlurmctldPidFile={r / 'slurmctld.pid'}",
                    f"SlurmdPidFile={r / 'slurmd.pid'}",
                    f"SlurmctldLogFile={r / 'log/slurmctld.log'}",
                    f"SlurmdLogFile={r / 'log/slurmd.log'}",
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_Core_Memory",
                    "AccountingStorageType=accounting_storage/none",
                    "JobAcctGatherType=jobacct_gather/none",
                    "JobCompType=jobcomp/none",
                    "MpiDefault=none",
                    "ReturnToService=2",
                    "SchedulerType=sched/backfill",
                    "MinJobAge=300",
                    "GresTypes=gpu",
                    f"NodeName={self.host} CPUs={self.cpus} RealMemory={self.memory_mb} "
                    "Gres=gpu:1 State=UNKNOWN",
                    "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
                ]
            )
            + "\n"
        )

    def _spawn(self, *cmd: str) -> None:
        log = open(self.root / "log" / f"{Path(cmd[0]).name}.out", "w")  # noqa: SIM115
        self.procs.append(
            subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
            )
        )

    def start(self, timeout: float = 60.0) -> None:
        self.write_config()
        r = self.root
        key = r / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o600)
        self._spawn(
            "munged",
            "--foreground",
            "--force",
            f"--socket={r / 'munge.sock'}",
            f"--key-file={key}",
            f"--pid-file={r / 'munged.pid'}",
            f"--log-file={r / 'log/munged.log'}",
            f"--seed-file={r / 'munged.seed'}",
        )
        self._wait(lambda: (r / "munge.sock").exists(), timeout, "munged socket")
        self._spawn("slurmctld", "-D", "-f", str(self.conf))
        self._spawn("slurmd", "-D", "-f", str(self.conf))
        self._wait(self._node_idle, timeout, "the node to become idle")

    def _node_idle(self) -> bool:
        for p in self.procs:
            if p.poll() is not None:
                raise RuntimeError(f"{p.args[0]} exited with {p.returncode}; logs in {self.root}")
        out = subprocess.run(
            ["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=self.env
        ).stdout
        return out.strip() == "idle"

    def _wait(self, ready, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > end:
                self.stop()
                raise RuntimeError(f"timed out waiting for {what}; logs in {self.root / 'log'}")
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop the daemons this object started, by PID (children first in reverse order)."""
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs.clear()
