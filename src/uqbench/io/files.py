"""Files written whole: atomic writes (a temporary file renamed over the target), text and
CSV, provenance attributes, and the error every reader raises naming the file."""

from __future__ import annotations

import contextlib
import csv
import io as io_text
import os
import subprocess
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import uqbench


class DataFileError(ValueError):
    """A data or prediction file is missing, unreadable or does not follow its contract."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)


# the checkout's code: a change to any of it marks a run's records "-dirty"
CODE_PATHS = ("src", "scripts", "workflow", "Snakefile")


def git(src: str | os.PathLike[str], *args: str) -> str:
    """The output of ``git -C src args`` (raises ``CalledProcessError`` when git fails)."""
    out = subprocess.run(
        ["git", "-C", str(src), *args], capture_output=True, text=True, timeout=5, check=True
    )
    return out.stdout.strip()


def git_commit(src: str | os.PathLike[str] | None = None) -> str:
    """Commit of the checkout that holds ``src`` (default: the package's own source), with
    ``-dirty`` appended when the checkout's code (``CODE_PATHS``) differs from it; '' outside
    a git checkout."""
    src = Path(src) if src is not None else Path(uqbench.__file__).resolve().parent
    try:
        sha = git(src, "rev-parse", "HEAD")
        paths = [f":/{p}" for p in CODE_PATHS]  # from the checkout's top, wherever src is
        changed = git(src, "status", "--porcelain", "--", *paths)  # new files too
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"{sha}-dirty" if changed else sha


def provenance(**attrs: Any) -> dict[str, Any]:
    """Provenance attributes: the given ones plus package version and git commit."""
    out = {"uqbench_version": uqbench.__version__, "git_commit": git_commit()}
    out.update(attrs)
    return out


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` when the block
    succeeds, remove it when the block fails (the target is then left as it was).

    A fresh unique name, not mkstemp, whose 0600 mode would stick to the final file.
    ``suffix`` lets writers that infer the format from the name (matplotlib) see it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{suffix}"
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_csv(
    path: str | os.PathLike[str], rows: Sequence[Mapping[str, Any]], fields: Sequence[str]
) -> Path:
    """Write ``rows`` (one mapping per row, keys ``fields``) as a CSV file, atomically."""
    buf = io_text.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return atomic_write_text(path, buf.getvalue())
