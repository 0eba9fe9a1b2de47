"""Render report.md and report.html (self-contained: figures base64-embedded, inline CSS) with jinja2."""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from core import atomic
from reports.reproduction.figures import VERDICT_COLORS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

#: per-seed table columns, in this order when present in runs.csv, with their headers. Columns
#: with one value in every row are stated once above the table instead (the table must fit 1280 px).
PER_SEED_COLUMNS = {
    "seed": "seed",
    "arm": "arm",
    "model": "model",
    "dataset": "data",
    "round": "round",
    "target_sparsity": "target sparsity",
    "sparsity": "measured sparsity",
    "effective_sparsity": "effective sparsity",
    "test_accuracy": "test acc. (%)",
    "val_accuracy": "val. acc. (%)",
    "test_loss": "test loss",
    "early_stop_iteration": "early stop (iter.)",
    "iterations": "iter.",
    "wall_s": "wall (s)",
    "device": "device",
    "state_hash": "state",
}
#: the same columns named in a sentence ("Every run: ...") when their value is constant.
LONG_LABELS = {
    "dataset": "dataset",
    "target_sparsity": "target sparsity",
    "sparsity": "measured sparsity",
    "effective_sparsity": "effective sparsity",
    "test_accuracy": "test accuracy (%)",
    "val_accuracy": "validation accuracy (%)",
    "test_loss": "test loss",
    "early_stop_iteration": "early-stopping iteration",
    "iterations": "iterations",
    "wall_s": "wall time (s)",
    "state_hash": "state",
}
#: never moved above the table: they identify the row.
ROW_KEYS = ("seed", "arm")
#: text columns (left-aligned); the others are numbers.
TEXT_COLUMNS = ("arm", "model", "dataset", "device", "state_hash")


def fmt(value: Any, digits: int = 2) -> str:
    """A number for a table: fixed decimals, "—" for missing (NaN/None/NA), ints without decimals."""
    if value is None or value is pd.NA:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value) if str(value) else "—"
    if math.isnan(number):
        return "—"
    if number.is_integer() and digits == 0:
        return str(int(number))
    return f"{number:.{digits}f}"


def fmt_p(value: Any) -> str:
    """A p-value: 3 significant digits, "<0.001" below that, "—" when missing."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(number):
        return "—"
    return "<0.001" if number < 0.001 else f"{number:.3g}"


def fmt_interval(low: Any, high: Any, digits: int = 2) -> str:
    if fmt(low) == "—" or fmt(high) == "—":
        return "—"
    return f"[{fmt(low, digits)}, {fmt(high, digits)}]"


def percent(value: Any, digits: int = 2) -> str:
    """A fraction as a percentage number (no sign), "—" when missing."""
    try:
        return fmt(float(value) * 100, digits)
    except (TypeError, ValueError):
        return "—"


#: decimals per per-seed column; other columns are shown as they are.
CELL_DIGITS = {
    "sparsity": 4,
    "effective_sparsity": 4,
    "target_sparsity": 4,
    "test_loss": 4,
    "val_loss": 4,
    "test_accuracy": 2,
    "val_accuracy": 2,
    "wall_s": 1,
}


def cell(value: Any, column: str) -> str:
    """A per-seed table cell: numbers rounded per column, everything else verbatim."""
    if column in CELL_DIGITS:
        return fmt(value, CELL_DIGITS[column])
    return "—" if value is None else str(value)


def plain(value: Any) -> str:
    """Lists as "a, b", dicts as "k=v, ...", None as "—": protocol settings read as text, not Python."""
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(plain(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}={plain(v)}" for k, v in value.items()) or "—"
    return str(value)


def verdict_word(verdict: str) -> str:
    return verdict.replace("_", " ")


def code_spans(value: Any) -> markupsafe.Markup:
    """Plain text for HTML with its `backtick` spans as <code>: headline and notes are written once,
    as Markdown-flavoured text, for both templates. The text is escaped first."""
    escaped = str(markupsafe.escape(str(value)))
    return markupsafe.Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))


def md_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: no line breaks, pipes escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


def data_uri(path: Path) -> str:
    """A PNG as a data: URI so the HTML needs no other file."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    )
    env.filters.update(
        fmt=fmt,
        fmt_p=fmt_p,
        interval=fmt_interval,
        verdict_word=verdict_word,
        percent=percent,
        cell=cell,
        plain=plain,
        md=md_cell,
        code=code_spans,
    )
    env.globals["verdict_colors"] = VERDICT_COLORS
    return env


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as dicts with pandas NA turned into None (jinja-friendly)."""
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


@dataclass(frozen=True)
class PerSeedTable:
    """The per-seed runs as the report shows them: varying columns in the table, constant ones above."""

    columns: list[str]
    labels: dict[str, str]
    rows: list[dict[str, Any]]
    #: (header, value) of columns with a single value in every row
    constants: list[tuple[str, str]]
    seeds: list[int]
    text_columns: tuple[str, ...] = TEXT_COLUMNS


def per_seed_table(runs: pd.DataFrame) -> PerSeedTable:
    present = [c for c in PER_SEED_COLUMNS if c in runs]
    sort = [c for c in ("arm", "target_sparsity", "round", "seed") if c in runs]
    table = runs[present].sort_values(sort, kind="stable") if sort else runs[present]
    rows = records(table)
    for row in rows:
        if row.get("state_hash"):
            row["state_hash"] = str(row["state_hash"])[:8]
    constants, columns = [], []
    for column in present:
        values = {cell(row[column], column) for row in rows}
        if len(rows) > 1 and len(values) == 1 and column not in ROW_KEYS:
            constants.append((LONG_LABELS.get(column, column.replace("_", " ")), values.pop()))
        else:
            columns.append(column)
    seeds = (
        sorted({int(s) for s in pd.to_numeric(runs["seed"], errors="coerce").dropna()})
        if "seed" in runs
        else []
    )
    return PerSeedTable(columns, {c: PER_SEED_COLUMNS[c] for c in columns}, rows, constants, seeds)


def render(context: dict[str, Any], out_dir: Path, figures: dict[str, Path | None]) -> tuple[Path, Path]:
    """Write report.md (figures linked by file name) and report.html (figures embedded).

    ``figures`` names every figure the templates know ("accuracy", "per_class", "forest"); a figure
    that was not drawn is None (the templates test it, and StrictUndefined rejects a missing key).
    """
    env = environment()
    md = env.get_template("reproduction.md.j2").render(
        **context, figures={k: Path(v).name if v else None for k, v in figures.items()}
    )
    html = env.get_template("reproduction.html.j2").render(
        **context, figures={k: data_uri(v) if v else None for k, v in figures.items()}
    )
    md_path, html_path = out_dir / "report.md", out_dir / "report.html"
    atomic.write_text(md_path, md, newline_at_end=False)
    atomic.write_text(html_path, html, newline_at_end=False)
    return md_path, html_path
