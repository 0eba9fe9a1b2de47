"""The row type every dependency source produces."""

from __future__ import annotations

from dataclasses import dataclass

#: ``source`` values, one per kind of evidence (the file kind, not the file name: see ``evidence``).
SOURCES = (
    "requirements.txt",
    "setup.py",
    "setup.cfg",
    "pyproject.toml",
    "environment.yml",
    "Pipfile",
    "Dockerfile",
    "notebook",
    "imports",
)


@dataclass(frozen=True)
class Dependency:
    """One package found in one place.

    ``name`` is the name as written (a requirement's name or a dotted import); ``package`` its PEP 503
    distribution name after mapping. ``evidence`` is ``relative/path:line`` (a notebook cell is
    ``nb.ipynb:cell<N>``). ``optional`` marks extras, optional/dev groups and Pipfile dev-packages.
    """

    package: str
    source: str
    specifier: str = ""
    evidence: str = ""
    name: str = ""
    optional: bool = False
