"""Stage tables: metrics records in; the per-problem metrics tables, the ratio study, the
claims table and the science check (``make validate``) out."""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Sequence

from uqbench import io
from uqbench.report import ablation, claims, tables, validate

log = logging.getLogger(__name__)
Paths = Sequence[str | os.PathLike[str]]


def _write(rows: Sequence[dict], md_text: str, csv_path: str, md_path: str) -> None:
    """The rows as CSV (every column, in the first row's order) and the Markdown table."""
    io.write_csv(csv_path, rows, list(rows[0]) if rows else [])
    io.atomic_write_text(md_path, md_text)
    log.info("wrote %s and %s", csv_path, md_path)


def metrics_table(
    paths: Paths, csv_path: str, md_path: str, shift_csv: str, shift_md: str
) -> list[dict]:
    """``report.tables.metrics_table`` of the test records in ``paths`` and
    ``report.tables.shift_table`` of all of them (test and the shift rungs), each as CSV
    and Markdown; returns the metrics table's rows."""
    records = io.read_metrics_files(paths)
    rows, md_text = tables.metrics_table([r for r in records if r["split"] == "test"])
    _write(rows, md_text, csv_path, md_path)
    _write(*tables.shift_table(records), shift_csv, shift_md)
    return rows


def ratio_table(paths: Paths, csv_path: str, md_path: str) -> list[dict]:
    """``report.tables.ratio_table`` of the records in ``paths``, as CSV and Markdown."""
    rows, md_text = tables.ratio_table(io.read_metrics_files(paths))
    _write(rows, md_text, csv_path, md_path)
    return rows


def ablation_table(
    paths: Paths, logs: Paths, base: str, main_ratio: float, csv_path: str, md_path: str
) -> list[dict]:
    """``report.ablation.ablation_table`` of ``base`` and its variants, as CSV and Markdown;
    ``logs``: their training logs, for the validation objective each run was selected by."""
    records = ablation.with_val_objective(
        io.read_metrics_files(paths), [io.read_training_log(p) for p in logs], base
    )
    rows, md_text = ablation.ablation_table(records, base, main_ratio)
    _write(rows, md_text, csv_path, md_path)
    return rows


def claims_table(paths: Paths, main_ratio: float, csv_path: str, md_path: str) -> list[dict]:
    """The papers' claims (``report.claims``) checked on the records in ``paths``."""
    rows, md_text = claims.claims_table(io.read_metrics_files(paths), main_ratio)
    io.write_csv(csv_path, rows, claims.FIELDS)
    io.atomic_write_text(md_path, md_text)
    return rows


def read_csv(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """The rows of a table written by ``io.write_csv``, as text (here, not in ``io``: a
    reader of presentation files, so the number-making code stays as archived)."""
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def check_validation(paths: Paths, reference: str, report: str) -> list[str]:
    """The science check: the run's test metrics against the reference CSV; the report is
    written only when every method and metric is within its tolerance (else it raises
    ``report.validate.ValidationError`` naming them)."""
    ref = read_csv(reference)
    lines = validate.check_against_reference(io.read_metrics_files(paths), ref)
    io.atomic_write_text(report, "\n".join(lines) + "\n")
    return lines
