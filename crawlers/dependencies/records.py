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

#: ``resolution`` values, surest first.
RESOLUTIONS = ("declared", "mapped", "guessed")


@dataclass(frozen=True)
class Dependency:
    """One package found in one place.

    ``name`` is the name as written (a requirement's name or a dotted import); ``package`` its PEP 503
    distribution name after mapping. ``evidence`` is ``relative/path:line`` (a notebook cell is
    ``nb.ipynb:cell<N>``). ``optional`` marks extras, optional/dev groups and Pipfile dev-packages.

    How sure the row is: ``resolution`` is ``declared`` (a declared file names the distribution;
    ``resolved_by`` is its file and line, or, for an import, the declaration that provides it),
    ``mapped`` (``resolved_by`` names the table: ``overrides``, ``pipreqs``, ``wheels``) or ``guessed``
    (an unknown import name taken as a distribution name, or a repository name from a URL).
    ``canonical`` is the alias table's name for the row's family (``tensorflow-gpu`` → ``tensorflow``):
    what the ranking counts and the undeclared-imports check compares.
    """

    package: str
    source: str
    specifier: str = ""
    evidence: str = ""
    name: str = ""
    optional: bool = False
    resolution: str = "declared"
    resolved_by: str = ""
    canonical: str = ""
