"""The README's results, made from the published reference study (``reference/``): per
problem its headline rows, the claims' verdicts, the figures to look at and each problem's
wall time, written between marker comments of the README so that no number there is copied
by hand (``python -m uqbench.stages.reference`` fills them; a test checks they match).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from uqbench.report.summary import NOT_A_METRIC
from uqbench.report.tables import best_rows, metric_cell, runs_cell

#: The rows every problem shows, in this order: the floor (oracle), the unconditional law
#: (climatology), the point prediction, the main method and the two it is compared with in
#: its paper; then the best other method by energy distance.
HEADLINE_METHODS = ("oracle", "climatology", "deterministic", "genuq", "vi", "flow")
HEADLINE_METRICS = ("energy_distance", "spread_ratio", "correlation_error", "coverage_90", "skill")
RANKED_BY = "energy_distance"
#: The figures a reader should look at, per problem: (file stem, what it shows).
FIGURES = (
    ("bands", "true vs predicted bands"),
    ("correlation", "correlation structure"),
    ("calibration", "calibration"),
)
BLOCKS = ("results", "cost")


def read_table(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a metrics table (``{problem}_metrics.csv``), numbers as floats and a
    metric the method does not have as ``NOT_A_METRIC``."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for key, value in row.items():
            if key.endswith(("_mean", "_ci95")):
                row[key] = NOT_A_METRIC if value == "" else float(value)
            elif key in ("ok", "no_gain", "diverged"):
                row[key] = int(value)
    return rows


def headline_rows(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows of ``HEADLINE_METHODS`` present, in that order, then the best other row by
    ``RANKED_BY`` (none when no other method has a finite value)."""
    by_method = {r["method"]: r for r in rows}
    head = [by_method[m] for m in HEADLINE_METHODS if m in by_method]
    others = [r for r in rows if r["method"] not in HEADLINE_METHODS]
    best = sorted(best_rows(others, RANKED_BY, exclude=()))
    return [*head, *(others[i] for i in best[:1])]


def _table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    head = ["method", "runs", *HEADLINE_METRICS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, r in enumerate(rows):
        best = i == len(rows) - 1 and r["method"] not in HEADLINE_METHODS
        name = f"{r['method']} (best other)" if best else r["method"]
        cells = [name, runs_cell(r), *(metric_cell(r, m) for m in HEADLINE_METRICS)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _claims(path: Path) -> list[str]:
    with open(path, newline="") as f:
        claims = list(csv.DictReader(f))
    lines = ["| paper | claim | verdict |", "|---|---|---|"]
    for c in claims:
        why = f" ({c['reason']})" if c["reason"] else ""
        lines.append(f"| {c['paper']} | {c['claim']} | {c['verdict']}{why} |")
    return lines


def results_markdown(reference: str | Path, link: str = "reference") -> str:
    """The README's results block from the published reference study in ``reference``
    (its files linked under ``link``, the path from the README): per problem the headline
    rows and figures, then the claims' verdicts; a line saying so when nothing is
    published."""
    reference = Path(reference)
    prov_path = reference / "provenance.json"
    if not prov_path.is_file():
        return "The reference study is not published yet (`make reference`).\n"
    prov = json.loads(prov_path.read_text())
    out = [
        f"From `make reference` at commit `{prov['commit'][:10]}` "
        f"([provenance]({link}/provenance.md)): mean ± 95 % interval over the seeds "
        "(Student-t), at the main ratio. The full tables are "
        f"[{link}/tables/]({link}/tables/).",
        "",
    ]
    for problem in prov["problems"]:
        rows = headline_rows(read_table(reference / "tables" / f"{problem}_metrics.csv"))
        out += [f"#### {problem}", "", *_table(rows), ""]
        figs = [(s, what) for s, what in FIGURES
                if (reference / "figures" / f"{problem}_{s}.png").is_file()]  # fmt: skip
        if figs:
            out += [f"![{problem} {figs[0][1]}]({link}/figures/{problem}_{figs[0][0]}.png)", ""]
            out += [", ".join(f"[{what}]({link}/figures/{problem}_{s}.png)" for s, what in figs)]
            out += [""]
    out += [f"#### The papers' claims ([{link}/tables/claims.md]({link}/tables/claims.md))", ""]
    out += [*_claims(reference / "tables" / "claims.csv"), ""]
    return "\n".join(out)


def cost_markdown(reference: str | Path) -> str:
    """The README's cost block: each problem's wall time in the reference study and where
    it ran, from ``reference/provenance.json``."""
    prov_path = Path(reference) / "provenance.json"
    if not prov_path.is_file():
        return "The reference study is not published yet (`make reference`).\n"
    prov = json.loads(prov_path.read_text())
    lines = [
        "Wall time of each problem of the reference study (`make reference`, summed over its",
        "runs where one was stopped and resumed), and the machine it ran on:",
        "",
        "| problem | wall time | runs | machine |",
        "|---|---|---|---|",
    ]
    for p, s in prov["wall_seconds"].items():
        machines = dict.fromkeys(f"{q['machine']['cpu']}, {q['machine']['cores']} cores"
                                 for q in prov["parts"][p])  # fmt: skip
        parts = f" ({len(prov['parts'][p])} parts)" if len(prov["parts"][p]) > 1 else ""
        lines.append(
            f"| {p} | {s / 3600:.2f} h{parts} | {prov['wall_runs'][p]} | {'; '.join(machines)} |"
        )
    return "\n".join([*lines, ""])


FINDINGS = "findings"  # the README's hand-written block, checked by ``untraced_numbers``


def _markers(name: str) -> tuple[str, str]:
    if name == FINDINGS:
        return f"<!-- {name}: every number a cell of reference/tables -->", f"<!-- end {name} -->"
    return f"<!-- {name}: made by make reference; do not edit -->", f"<!-- end {name} -->"


def fill_blocks(text: str, blocks: Mapping[str, str]) -> str:
    """``text`` with each named block's content between its marker comments replaced;
    raises naming a block whose markers are missing."""
    for name, content in blocks.items():
        begin, end = _markers(name)
        found = re.search(re.escape(begin) + r"\n.*?" + re.escape(end), text, re.S)
        if not found:
            raise ValueError(f"no block {name!r}: the text lacks the lines {begin!r} ... {end!r}")
        block = f"{begin}\n{content.rstrip()}\n{end}"
        text = text[: found.start()] + block + text[found.end() :]
    return text


def readme_blocks(reference: str | Path, link: str = "reference") -> dict[str, str]:
    """Every block ``fill_blocks`` writes into the README, from ``reference``."""
    return {"results": results_markdown(reference, link), "cost": cost_markdown(reference)}


#: A number with a decimal point or an exponent as the tables print it (``-4.366e-06``,
#: ``0.9851``), with its sign. Whole numbers (seeds, samples, counts) and a ratio written
#: ``2.3x`` or a percentage, derived from such cells, are not looked up.
NUMBER = re.compile(
    r"(?<![\w.])[-−]?(?:\d+\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)"
    r"(?!\w|\.\d|\s?%|\s?[x×](?!\w))"
)


def block(text: str, name: str) -> str:
    """The content between a block's marker comments (``fill_blocks``)."""
    begin, end = _markers(name)
    found = re.search(re.escape(begin) + r"\n(.*?)" + re.escape(end), text, re.S)
    if not found:
        raise ValueError(f"no block {name!r}: the text lacks the lines {begin!r} ... {end!r}")
    return found.group(1)


def untraced_numbers(text: str, tables: str | Path) -> list[str]:
    """The numbers of ``text`` that appear in no table of ``tables`` (``*.md``) as printed
    there, sign included: a finding quoting a number the published tables do not hold."""
    cells = "\n".join(p.read_text() for p in sorted(Path(tables).glob("*.md")))
    cells = cells.replace("−", "-")
    untraced = []
    for number in NUMBER.findall(text):
        n = number.replace("−", "-")
        sign = "" if n.startswith("-") else "-"  # "0.05" is not the cell "-0.05"
        if not re.search(rf"(?<![\w.{sign}]){re.escape(n)}(?![\w]|\.\d)", cells):
            untraced.append(number)
    return untraced
