"""A corpus of hostile repositories and OpenReview notes, built in a temporary folder (never downloaded).

Every repository is a real git repository under ``<mirror>/github.com/hostile/<name>``, reachable as
``https://github.com/hostile/<name>`` through ``url.<base>.insteadOf``. Files that would run if
anything executed them (``setup.py``, ``conftest.py``, ``sitecustomize.py``, hooks, filters) write a
*canary* file into one folder; the test asserts that folder stays empty. Big things are made cheaply:
the 100 MB notebook output is one repeated character (git compresses it to a few hundred KB), deep
trees are written with ``git fast-import`` (no working tree at all), and the multi-GB file is sparse.

:data:`CASES` says, per repository, what the census must record; docs/hostile-inputs.md is the same
table in prose. The notes that link to them are in tests/audit/hostile_notes.py.
"""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

VENUE = "Hostile.cc/2024/Conference"
OWNER = "https://github.com/hostile/"

#: Deep enough to defeat recursive walkers (Python's limit is 1,000) yet within PATH_MAX.
DEEP = 1_500
#: What the issue asks for: git itself cannot check this out.
DEEPER = 10_000
#: The output cell of the big notebook (one character repeated).
NOTEBOOK_OUTPUT_BYTES = 100_000_000
#: The sparse file planted in a checkout after the clone (apparent size; no disk used).
SPARSE_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class Case:
    """One hostile repository: what it holds and what the census must record for it."""

    name: str
    what: str
    status: str
    #: (package, source) rows expected in dependencies.csv; None when the repository is not analysed
    dependencies: frozenset[tuple[str, str]] | None = None
    build: Callable[[Path, Path, Path], None] = field(default=lambda repo, canary, outside: None, repr=False)

    @property
    def url(self) -> str:
        return OWNER + self.name


def git(cwd: Path, *args: str, data: bytes | None = None) -> str:
    """git with a neutral configuration: the hostile user configuration is only for the census."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    identity = ["-c", "user.name=Hostile", "-c", "user.email=h@example.org", "-c", "commit.gpgsign=false"]
    result = subprocess.run(
        ["git", *identity, *args], cwd=cwd, input=data, capture_output=True, check=True, timeout=120, env=env
    )
    return result.stdout.decode().strip()


def _write(repo: Path, files: dict[str, str | bytes]) -> None:
    for relative, content in files.items():
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def canary_writer(canary: Path, name: str) -> str:
    """Python source that creates ``canary/name`` when run."""
    return f"open({str(canary / name)!r}, 'w').write('executed')\n"


def _commit(repo: Path) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "hostile")


def _symlinks(repo: Path, canary: Path, outside: Path) -> None:
    up_to_root = "../" * 40  # from wherever the checkout lies, up to / and then into the outside folder
    includes = (
        f"-r {outside / 'requirements.txt'}\n-r {up_to_root}{str(outside / 'requirements.txt').lstrip('/')}\n"
    )
    _write(repo, {"model.py": "import scipy\n", "requirements-dev.txt": includes + "-r /etc/passwd\n"})
    (repo / "passwd").symlink_to("/etc/passwd")
    (repo / "requirements.txt").symlink_to(outside / "requirements.txt")
    (repo / "setup.cfg").symlink_to(outside / "setup.cfg")
    (repo / "escape").symlink_to(outside)  # a folder outside the checkout, holding .py files
    (repo / "up").symlink_to("../../../../..")


def _loops(repo: Path, canary: Path, outside: Path) -> None:
    _write(repo, {"main.py": "import pandas\n", "requirements.txt": "-r a\n-r self/requirements.txt\n"})
    (repo / "a").symlink_to("b")
    (repo / "b").symlink_to("a")
    (repo / "self").symlink_to(".")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "loop").symlink_to("../pkg")


def _binary(repo: Path, canary: Path, outside: Path) -> None:
    _write(
        repo,
        {
            "model.py": random.Random(8).randbytes(200_000),
            "nul.py": b"import yaml\n" + b"\x00" * 50_000,
            "utf16.py": "import requests\n".encode("utf-16"),
            "nested.py": "x = " + "(" * 200_000 + ")" * 200_000 + "\n",
            "setup.py": "setup(install_requires=" + "[" * 100_000 + "]" * 100_000 + ")\n",
            "plot.py": "import matplotlib.pyplot as plt\n",
        },
    )


def _fast_import(repo: Path, files: dict[str, bytes]) -> None:
    """A commit of ``files`` written straight into git's object store (no working tree needed)."""
    git(repo, "init", "--quiet", "--initial-branch=main")
    stream = b"commit refs/heads/main\ncommitter Hostile <h@example.org> 0 +0000\ndata 7\nhostile\n"
    for path, content in files.items():
        stream += b"M 100644 inline " + path.encode() + b"\ndata " + str(len(content)).encode() + b"\n"
        stream += content + b"\n"
    git(repo, "fast-import", "--quiet", data=stream)


def _deep(depth: int) -> Callable[[Path, Path, Path], None]:
    def build(repo: Path, canary: Path, outside: Path) -> None:
        _fast_import(
            repo, {"/".join(["d"] * depth) + "/deep.py": b"import torch\n", "top.py": b"import numpy\n"}
        )

    return build


def _names(repo: Path, canary: Path, outside: Path) -> None:
    root = os.fsencode(repo)
    for name, source in (
        (b"caf\xe9.py", b"import scipy\n"),  # Latin-1: not UTF-8
        (b"evil\nname.py", b"import tqdm\n"),
        (b"\x1b[31mred.py", b"import click\n"),
    ):
        with open(root + b"/" + name, "wb") as handle:
            handle.write(source)
    os.mkdir(root + b"/\xff\xfe")
    with open(root + b"/\xff\xfe/mod.py", "wb") as handle:
        handle.write(b"import h5py\n")


def _notebook(repo: Path, canary: Path, outside: Path) -> None:
    _write(
        repo,
        {
            "small.ipynb": (
                '{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code", '
                '"metadata": {}, "execution_count": 1, "outputs": [], "source": ["import seaborn\\n"]}]}'
            )
        },
    )
    head = (
        '{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code", '
        '"metadata": {}, "execution_count": 1, "source": ["import sklearn\\n"], "outputs": '
        '[{"output_type": "stream", "name": "stdout", "text": ["'
    )
    chunk = "A" * 1_000_000
    with (repo / "big.ipynb").open("w", encoding="utf-8") as handle:  # streamed: never in memory
        handle.write(head)
        for _ in range(NOTEBOOK_OUTPUT_BYTES // len(chunk)):
            handle.write(chunk)
        handle.write('"]}]}]}')


#: Files that run code if anything executes, imports, builds or tests the repository.
CANARY_FILES = (
    "setup.py",
    "conftest.py",
    "sitecustomize.py",
    "usercustomize.py",
    "noxfile.py",
    "__init__.py",
    "hostile/__init__.py",
    "backend/build.py",
    "docs/conf.py",
)


def _canaries(repo: Path, canary: Path, outside: Path) -> None:
    files: dict[str, str | bytes] = {
        name: canary_writer(canary, name.replace("/", "_")) for name in CANARY_FILES
    }
    files["setup.py"] = canary_writer(canary, "setup.py") + (
        "from setuptools import setup\nsetup(name='hostile', install_requires=['numpy>=1.20'])\n"
    )
    files["evil.pth"] = f"import os; open({str(canary / 'pth')!r}, 'w')\n"
    files["pyproject.toml"] = (
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "build"\nbackend-path = ["backend"]\n'
    )
    files["Makefile"] = f"all:\n\ttouch {canary / 'make'}\n"
    files["tox.ini"] = f"[testenv]\ncommands = touch {canary / 'tox'}\n"
    files["train.py"] = "import torch\n"
    _write(repo, files)


def _hooks(repo: Path, canary: Path, outside: Path) -> None:
    hook = f"#!/bin/sh\ntouch {canary / 'repo-hook'}\n"
    _write(repo, {".githooks/post-checkout": hook, ".husky/post-checkout": hook, "run.py": "import jax\n"})
    (repo / ".githooks/post-checkout").chmod(0o755)


LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 1234567890\n"
)


def _lfs(repo: Path, canary: Path, outside: Path) -> None:
    _write(
        repo,
        {
            ".gitattributes": "*.bin filter=lfs diff=lfs merge=lfs -text\n*.py filter=lfs\n",
            "weights.bin": LFS_POINTER,
            "infer.py": "import onnx\n",
        },
    )


def _submodule(repo: Path, canary: Path, outside: Path) -> None:
    _write(
        repo,
        {
            ".gitmodules": (
                '[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = https://missing.invalid/x/lib\n'
                '[submodule "tools"]\n\tpath = tools\n\turl = ext::sh -c touch% ' + str(canary / "ext") + "\n"
            ),
            "main.py": "import lib\nimport networkx\n",
        },
    )
    git(repo, "add", "--all")
    for path in ("vendor/lib", "tools"):
        git(repo, "update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},{path}")


def imports(*packages: str) -> frozenset[tuple[str, str]]:
    return frozenset((package, "imports") for package in packages)


def _clean(repo: Path, canary: Path, outside: Path) -> None:
    _write(repo, {"requirements.txt": "torch==2.0\n", "train.py": "import numpy\n"})


def _sparse(repo: Path, canary: Path, outside: Path) -> None:
    _write(repo, {"ok.py": "import numpy\n"})


CASES: tuple[Case, ...] = (
    Case(
        "clean",
        "an ordinary repository (the control)",
        "ok",
        imports("numpy") | {("torch", "requirements.txt")},
        _clean,
    ),
    Case(
        "symlinks",
        "links to /etc/passwd, to a folder outside the checkout and up the tree; requirements.txt and "
        "setup.cfg linking outside; -r includes of files outside",
        "ok",
        imports("scipy"),
        _symlinks,
    ),
    Case(
        "loops",
        "symlink loops (a→b→a, self→., a folder linking to itself), -r includes through them",
        "ok",
        imports("pandas"),
        _loops,
    ),
    Case(
        "binary",
        "a .py file of random bytes, NUL-filled and UTF-16 .py files, 200,000 nested brackets in a .py "
        "and in setup.py",
        "ok",
        imports("matplotlib", "pyyaml"),
        _binary,
    ),
    Case(
        "deep",
        f"{DEEP:,} nested folders (deeper than Python's recursion limit)",
        "ok",
        imports("numpy", "torch"),
        _deep(DEEP),
    ),
    Case("deeper", f"{DEEPER:,} nested folders (git cannot check them out)", "invalid", None, _deep(DEEPER)),
    Case(
        "names",
        "file names that are not UTF-8, hold a newline or a terminal escape",
        "ok",
        imports("scipy", "tqdm", "click", "h5py"),
        _names,
    ),
    Case(
        "notebook",
        "a notebook with a 100 MB output cell, next to an ordinary one",
        "ok",
        imports("seaborn"),
        _notebook,
    ),
    Case(
        "canaries",
        "setup.py, conftest.py, sitecustomize.py, usercustomize.py, a .pth file, a build backend, "
        "__init__.py, docs/conf.py, noxfile.py, Makefile, tox.ini: each writes a canary if run",
        "ok",
        imports("torch") | {("numpy", "setup.py")},
        _canaries,
    ),
    Case(
        "hooks",
        "post-checkout hooks in the repository; the user's git configuration enables global hooks, a "
        "template folder with hooks and an fsmonitor command",
        "ok",
        imports("jax"),
        _hooks,
    ),
    Case(
        "lfs",
        "LFS pointers with .gitattributes, under a user configuration whose LFS filter is required and "
        "would write a canary",
        "ok",
        imports("onnx"),
        _lfs,
    ),
    Case(
        "submodule",
        "submodules on a host that does not exist and behind an ext:: command",
        "ok",
        imports("networkx"),
        _submodule,
    ),
    Case(
        "sparse",
        f"a checkout that holds a sparse {SPARSE_BYTES // 1024**3} GB .py file, requirements.txt and "
        "notebook "
        "(planted after the clone)",
        "ok",
        imports("numpy"),
        _sparse,
    ),
)


def build_repositories(mirror: Path, canary: Path, outside: Path) -> dict[str, Case]:
    """Every repository of :data:`CASES` under ``mirror/github.com/hostile/``; the outside folder gets
    the files the links point to."""
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.py").write_text("import leaked_secret_module\n")
    (outside / "setup.cfg").write_text("[options]\ninstall_requires =\n    leaked-from-outside\n")
    (outside / "requirements.txt").write_text("leaked-from-outside==1.0\n")
    canary.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        repo = mirror / "github.com" / "hostile" / case.name
        repo.mkdir(parents=True)
        if case.name.startswith("deep"):
            case.build(repo, canary, outside)
            continue
        git(repo, "init", "--quiet", "--initial-branch=main")
        case.build(repo, canary, outside)
        _commit(repo)
    return {case.name: case for case in CASES}


def user_git_config(mirror: Path, canary: Path, hooks: Path, templates: Path) -> str:
    """The census user's git configuration: the mirror, plus settings that would run code on a clone.

    A user may have global hooks, a template folder, an fsmonitor and a required LFS filter; every one
    of them must be overridden by the census' hardening.
    """
    for folder in (hooks, templates / "hooks"):
        folder.mkdir(parents=True, exist_ok=True)
        script = folder / "post-checkout"
        script.write_text(f"#!/bin/sh\ntouch {canary / ('user-' + folder.parent.name + '-hook')}\n")
        script.chmod(0o755)
    return (
        f'[url "file://{mirror}/github.com/"]\n\tinsteadOf = https://github.com/\n'
        "[protocol]\n\tallow = always\n"
        f"[core]\n\thooksPath = {hooks}\n\tfsmonitor = touch {canary / 'fsmonitor'}\n"
        f"[init]\n\ttemplateDir = {templates}\n"
        '[filter "lfs"]\n'
        f"\tsmudge = touch {canary / 'lfs-smudge'}\n\tprocess = touch {canary / 'lfs-process'}\n"
        "\trequired = true\n"
    )
