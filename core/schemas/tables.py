"""Every CSV file contract of the project, declared in one place (DESIGN.md's "Data flow" in code).

A contract is a pydantic model of one row. A field without a default is a **required column**: the
header must have it (a ``papers.csv`` with none of the expected columns is refused instead of read as
"1 submission, 1 accepted"). A field with a default is a **documented optional column**, validated
when present. Any other column is allowed and left alone, so a tool that adds columns does not break
the readers. Field types come from :mod:`core.schemas.cells`.

To add a column to a contract, add one line to its model, e.g. ``code_source: Text = ""`` in
:class:`PapersRow`; to add a file, write its model and one :class:`TableContract` line in
:data:`TABLES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.schemas.cells import (
    Bool,
    Clean,
    CloneUrl,
    Count,
    Flag,
    Integer,
    Name,
    Number,
    RepoUrl,
    Text,
)

#: Clone outcomes of repos.csv. Transient ones (``timeout``, ``network``, ``error``) are retried on a
#: rerun; the others are facts about the repository (see crawlers.cloning).
REPO_STATUSES = ("ok", "not_found", "timeout", "network", "too_large", "not_a_repository", "invalid", "error")


class Row(BaseModel):
    """A row of a CSV contract: extra columns ignored, columns matched by name (or alias)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class PapersRow(Row):
    """papers.csv, written by `audit crawl`: one row per submission."""

    forum: Name
    number: Integer
    title: Text
    decision: Text
    accepted: Flag
    code_url: Text
    repo_url: CloneUrl
    repo_subpath: Clean
    host: Text
    # documented optional columns
    tier: Text = ""
    repo_ref: Clean = ""
    link_source: Text = ""
    text_repo_urls: Text = ""
    keywords: Text = ""
    n_authors: Integer = None
    pdf: Text = ""
    venue: Text = ""
    api: Text = ""


class ReposRow(Row):
    """repos.csv, written by `audit clone`: one row per (repository, ref)."""

    repo_url: RepoUrl
    status: Literal[REPO_STATUSES]  # type: ignore[valid-type]
    commit: Text
    size_kb: Integer
    n_python_files: Integer
    has_submodules: Flag
    path: Text
    error: Text
    ref: Clean = ""
    max_size_mb: Number = None
    reused: Flag = None
    seconds: Number = None


class DependenciesRow(Row):
    """dependencies.csv, written by `audit deps`: one row per (code base, package, source)."""

    repo_url: RepoUrl
    package: Name
    source: Name
    specifier: Text
    evidence: Text
    name: Text
    optional: Flag
    repo_subpath: Clean = ""  # optional: folders written before deps knew sub-folders lack it


class FrameworksRow(Row):
    """frameworks.csv, written by `audit deps`: one row per analysed code base."""

    repo_url: RepoUrl
    pytorch: Bool
    tensorflow: Bool
    keras: Bool
    jax: Bool
    mxnet: Bool
    theano: Bool
    chainer: Bool
    paddlepaddle: Bool
    n_frameworks: Count
    repo_subpath: Clean = ""


class SignalsRow(Row):
    """repo_signals.csv, written by `audit deps`: reproducibility signals per code base (optional file)."""

    repo_url: RepoUrl
    repo_subpath: Clean = ""
    status: Text = ""
    has_declared: Flag = None
    n_declared: Integer = None
    n_pinned: Integer = None
    pinned_share: Number = None
    n_imported: Integer = None
    n_imported_undeclared: Integer = None
    n_python_files: Integer = None
    n_notebooks: Integer = None
    n_unparsed_files: Integer = None


class AllToolsRow(Row):
    """all_tools.csv: the two columns of the published ICLR 2020 census."""

    all_repo_names: Name
    all_tool_names: Text


class RunsRow(Row):
    """runs.csv, written by `audit reproduce`: one row per (seed, arm, condition); see core.claims."""

    paper_id: Name
    protocol: Name
    seed: Count
    arm: Name
    model: Text
    dataset: Text
    target_sparsity: Number
    sparsity: Number
    round: Integer
    test_accuracy: Number
    test_loss: Number
    val_loss: Number
    early_stop_iteration: Integer
    iterations: Integer
    wall_s: Number
    device: Text
    state_hash: Text
    # additions
    val_accuracy: Number = None
    final_test_accuracy: Number = None
    reported_at_iteration: Integer = None
    parent_hash: Text = ""
    init_hash: Text = ""


class PerClassRow(Row):
    """per_class.csv, written by `audit reproduce`: per run and class, accuracy and n."""

    protocol: Name
    seed: Count
    arm: Name
    target_sparsity: Number
    class_: Count = Field(alias="class")
    accuracy: Number
    n: Count
    paper_id: Text = ""
    model: Text = ""
    sparsity: Number = None
    round: Integer = None
    state_hash: Text = ""


@dataclass(frozen=True)
class TableContract:
    """A CSV file's name, its row model and the command that writes it (for the remedy in errors)."""

    name: str
    row: type[Row]
    producer: str = ""

    @property
    def required(self) -> tuple[str, ...]:
        """Columns the header must have, in declaration order."""
        return tuple(f.alias or n for n, f in self.row.model_fields.items() if f.is_required())

    @property
    def optional(self) -> tuple[str, ...]:
        """Documented columns that may be absent."""
        return tuple(f.alias or n for n, f in self.row.model_fields.items() if not f.is_required())


#: The CSV contracts by file name.
TABLES: dict[str, TableContract] = {
    c.name: c
    for c in (
        TableContract("papers.csv", PapersRow, "audit crawl VENUE --out {dir}"),
        TableContract("repos.csv", ReposRow, "audit clone {dir}"),
        TableContract("dependencies.csv", DependenciesRow, "audit deps {dir}"),
        TableContract("frameworks.csv", FrameworksRow, "audit deps {dir}"),
        TableContract("repo_signals.csv", SignalsRow, "audit deps {dir}"),
        TableContract("all_tools.csv", AllToolsRow, "audit deps {dir}"),
        TableContract("runs.csv", RunsRow, "audit reproduce PAPER_ID --out {dir}"),
        TableContract("per_class.csv", PerClassRow, "audit reproduce PAPER_ID --out {dir}"),
    )
}
