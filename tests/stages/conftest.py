"""Fixtures of the stage tests: a committed checkout for the provenance checks."""

import subprocess

import pytest


def git(repo, *args) -> str:
    """The output of ``git -C repo args``, as a test user."""
    out = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """A checkout with code and a config, committed: (path, commit)."""
    root = tmp_path / "repo"
    code = ("src/code.py", "src/uqbench/plots/bands.py", "scripts/run.py", "workflow/rules.smk")
    for path in (*code, "Snakefile"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("code\n")
    (root / "config.yaml").write_text("seeds: [0]  # a comment\n")
    git(root.parent, "init", "-q", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "code")
    return root, git(root, "rev-parse", "HEAD")
