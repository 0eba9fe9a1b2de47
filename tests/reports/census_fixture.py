"""A small census folder written by hand, with every expected number worked out below.

Papers (12 submissions, 11 accepted):

| paper | decision | code link | repo | clone | deps |
| --- | --- | --- | --- | --- | --- |
| P1 | Poster | github a/one | a/one | ok | see (1) |
| P2 | Poster | github b/two/tree/master/sub | b/two | ok | see (2) |
| P3 | Spotlight | github c/three | c/three | ok | imports only: torch numpy matplotlib scipy |
| P4 | Talk | drive.google.com | — | | |
| P5 | Poster | — | | | |
| P6 | Poster | github b/two/tree/main/sub/ (same code again) | b/two | | |
| P7 | Spotlight | — | | | |
| P8 | Reject | github r/rej | r/rej | ok | jax (must not count: rejected) |
| P9 | Poster | github d/four | d/four | not_found | |
| P10 | Talk | github e/five | e/five | ok | nothing found |
| P11 | Poster | github f/six | f/six | too_large | |
| P12 | Poster | github g/seven | g/seven | (no row) | |

(1) requirements.txt torch==1.4.0 numpy==1.18.1 (+ pytest==7.0 optional: never counted); imports torch numpy.
(2) environment.yml tensorflow==1.15 keras==2.3.1 numpy; imports tensorflow keras numpy torch.

Expected: with code 9/11; poster 6/7, spotlight 1/2, talk 2/2; hosts github.com 8, drive 1;
7 distinct repos, 4 cloned, 3 parsed; not parsed: not_found 1, too_large 1, not_attempted 1,
no_dependencies_found 1; PyTorch 3/3, TensorFlow 1/3, Keras 1/3; co-use pairs 1 each; packages
numpy 3, torch 3, then keras, matplotlib, scipy, tensorflow 1 each (6 unique); signals among the 4
code bases: declared 2/4, Python version 2/4 (repo_signals.csv), container/env 2/4 (b/two's
environment.yml, e/five's Dockerfile; 1/4 from dependencies.csv alone); among the 2 declaring:
constrained 2/2, all pinned 1/2 (b/two leaves numpy unpinned), undeclared imports 1/2 (b/two: torch).
"""

from __future__ import annotations

import csv
from pathlib import Path

GH = "https://github.com/"

PAPERS_HEADER = [
    "forum",
    "number",
    "title",
    "decision",
    "accepted",
    "code_url",
    "repo_url",
    "repo_subpath",
    "host",
]
PAPERS = [
    ["f1", "1", "One", "Accept (Poster)", "True", GH + "a/one", GH + "a/one", "", "github.com"],
    [
        "f2",
        "2",
        "Two",
        "Accept (Poster)",
        "True",
        GH + "b/two/tree/master/sub",
        GH + "b/two",
        "sub",
        "github.com",
    ],
    ["f3", "3", "Three", "Accept (Spotlight)", "True", GH + "c/three", GH + "c/three", "", "github.com"],
    ["f4", "4", "Four", "Accept (Talk)", "True", "https://drive.google.com/x", "", "", "drive.google.com"],
    ["f5", "5", "Five", "Accept (Poster)", "True", "", "", "", ""],
    [
        "f6",
        "6",
        "Six",
        "Accept (Poster)",
        "True",
        GH + "b/two/tree/main/sub/",
        GH + "b/two",
        "sub",
        "github.com",
    ],
    ["f7", "7", "Seven", "Accept (Spotlight)", "True", "", "", "", ""],
    ["f8", "8", "Eight", "Reject", "False", GH + "r/rej", GH + "r/rej", "", "github.com"],
    ["f9", "9", "Nine", "Accept (Poster)", "True", GH + "d/four", GH + "d/four", "", "github.com"],
    ["f10", "10", "Ten", "Accept (Talk)", "True", GH + "e/five", GH + "e/five", "", "github.com"],
    ["f11", "11", "Eleven", "Accept (Poster)", "True", GH + "f/six", GH + "f/six", "", "github.com"],
    ["f12", "12", "Twelve", "Accept (Poster)", "True", GH + "g/seven", GH + "g/seven", "", "github.com"],
]

REPOS_HEADER = [
    "repo_url",
    "status",
    "commit",
    "size_kb",
    "n_python_files",
    "has_submodules",
    "path",
    "error",
]
REPOS = [
    [GH + "a/one", "ok", "a" * 40, "10", "3", "false", "", ""],
    [GH + "b/two", "ok", "b" * 40, "20", "5", "false", "", ""],
    [GH + "c/three", "ok", "c" * 40, "30", "2", "false", "", ""],
    [GH + "d/four", "not_found", "", "", "", "false", "", "repository not found"],
    [GH + "e/five", "ok", "e" * 40, "1", "0", "false", "", ""],
    [GH + "f/six", "too_large", "", "900000", "", "false", "", "larger than 500 MB"],
    [GH + "r/rej", "ok", "f" * 40, "5", "1", "false", "", ""],
]

DEPS_HEADER = ["repo_url", "repo_subpath", "package", "source", "specifier", "evidence", "name", "optional"]
_A, _B, _C, _R = GH + "a/one", GH + "b/two", GH + "c/three", GH + "r/rej"
DEPS = [
    [_A, "", "numpy", "imports", "", "train.py:1", "numpy", "false"],
    [_A, "", "numpy", "requirements.txt", "==1.18.1", "requirements.txt:2", "numpy", "false"],
    [_A, "", "pytest", "requirements.txt", "==7.0", "requirements-dev.txt:1", "pytest", "true"],
    [_A, "", "torch", "imports", "", "train.py:2", "torch", "false"],
    [_A, "", "torch", "requirements.txt", "==1.4.0", "requirements.txt:1", "torch", "false"],
    [_B, "sub", "keras", "environment.yml", "==2.3.1", "sub/environment.yml:6", "keras", "false"],
    [_B, "sub", "keras", "imports", "", "sub/model.py:2", "keras", "false"],
    [_B, "sub", "numpy", "environment.yml", "", "sub/environment.yml:7", "numpy", "false"],
    [_B, "sub", "numpy", "imports", "", "sub/model.py:3", "numpy", "false"],
    [_B, "sub", "tensorflow", "environment.yml", "==1.15", "sub/environment.yml:5", "tensorflow", "false"],
    [_B, "sub", "tensorflow", "imports", "", "sub/model.py:1", "tensorflow", "false"],
    [_B, "sub", "torch", "imports", "", "sub/convert.py:1", "torch", "false"],
    [_C, "", "matplotlib", "imports", "", "plot.py:1", "matplotlib", "false"],
    [_C, "", "numpy", "imports", "", "main.py:1", "numpy", "false"],
    [_C, "", "scipy", "imports", "", "main.py:3", "scipy", "false"],
    [_C, "", "torch", "imports", "", "main.py:2", "torch", "false"],
    [_R, "", "jax", "requirements.txt", "", "requirements.txt:1", "jax", "false"],
]

FRAMEWORK_KEYS = ["pytorch", "tensorflow", "keras", "jax", "mxnet", "theano", "chainer", "paddlepaddle"]
FRAMEWORKS_HEADER = ["repo_url", "repo_subpath", *FRAMEWORK_KEYS, "n_frameworks"]
_F = "false"
FRAMEWORKS = [
    [_A, "", "true", _F, _F, _F, _F, _F, _F, _F, "1"],
    [_B, "sub", "true", "true", "true", _F, _F, _F, _F, _F, "3"],
    [_C, "", "true", _F, _F, _F, _F, _F, _F, _F, "1"],
    [GH + "e/five", "", _F, _F, _F, _F, _F, _F, _F, _F, "0"],
    [_R, "", _F, _F, _F, "true", _F, _F, _F, _F, "1"],
]

SIGNALS_HEADER = [
    "repo_url",
    "repo_subpath",
    "status",
    "has_declared",
    "has_environment_file",
    "has_dockerfile",
    "python_version",
    "n_declared",
    "n_pinned",
    "pinned_share",
    "n_imported_undeclared",
]
SIGNALS = [
    [_A, "", "ok", "true", "false", "false", ">=3.6", "2", "2", "1.0", "0"],
    [_B, "sub", "ok", "true", "true", "false", "3.7", "3", "2", "0.6667", "1"],
    [_C, "", "ok", "false", "false", "false", "", "0", "0", "", "4"],
    [GH + "e/five", "", "ok", "false", "false", "true", "", "0", "0", "", "0"],
    [_R, "", "ok", "true", "false", "false", "", "1", "0", "0.0", "0"],
]

ALL_TOOLS = [
    ["all_repo_names", "all_tool_names"],
    ["a/one", "torch,numpy"],
    ["b/two", "tensorflow,keras,numpy,torch"],
    ["c/three", "torch,numpy,matplotlib,scipy"],
]

VENUE = "Test.cc/2020/Conference"


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """Write a CSV the way the steps do (csv module, header first)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_census_folder(directory: Path, *, signals: bool = True) -> Path:
    """The step outputs of the table above in ``directory`` (repo_signals.csv unless told not to)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / "papers.csv", PAPERS_HEADER, PAPERS)
    write_csv(directory / "repos.csv", REPOS_HEADER, REPOS)
    write_csv(directory / "dependencies.csv", DEPS_HEADER, DEPS)
    write_csv(directory / "frameworks.csv", FRAMEWORKS_HEADER, FRAMEWORKS)
    write_csv(directory / "all_tools.csv", ALL_TOOLS[0], ALL_TOOLS[1:])
    if signals:
        write_csv(directory / "repo_signals.csv", SIGNALS_HEADER, SIGNALS)
    return directory
