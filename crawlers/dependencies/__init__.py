"""Dependency inference for cloned research repositories: declared files plus imports, never executed.

Modules, one job each:

- :mod:`.files`: walking a checkout safely (no symbolic links, no vendored environments) and reading text.
- :mod:`.declared`: requirements files, setup.py (via ``ast``), setup.cfg, pyproject.toml, environment.yml,
  Pipfile, Dockerfile ``pip install`` lines.
- :mod:`.imports`: imports of ``.py`` files and notebooks, file by file, surviving Python 2 and
  non-UTF-8 files; local modules and the standard library removed.
- :mod:`.mapping`: import name → distribution name (pipreqs' table + our overrides), PEP 503 names.
- :mod:`.frameworks`: deep-learning framework flags from a repository's package set.
- :mod:`.infer`: one repository → rows; many repositories in parallel processes.
"""

from crawlers.dependencies.records import Dependency

__all__ = ["Dependency"]
