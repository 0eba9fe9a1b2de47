"""Dependency inference for cloned research repositories: declared files plus imports, never executed.

Modules, one job each:

- :mod:`.files`: walking a checkout safely (no symbolic links, no vendored environments), once
  (:class:`~.files.Tree`), and reading text.
- :mod:`.requirements`: requirement strings, ``pip install`` arguments, requirements files, URL names.
- :mod:`.declared`: setup.py (via ``ast``), setup.cfg, pyproject.toml, environment.yml (only with
  ``dependencies``), Pipfile, Dockerfile ``pip install`` lines.
- :mod:`.imports` and :mod:`.fastscan`: imports of ``.py`` files and notebooks with their context
  (module level, function, optional, typing), file by file, surviving Python 2 and non-UTF-8 files.
- :mod:`.local`: which imports are the authors' own modules (names importable from a plausible root).
- :mod:`.aliases` (facts in ``data/top_level.tsv``) and :mod:`.mapping`: import name → distributions,
  families, PEP 503 names, and which table said so.
- :mod:`.layout`: tests, examples, conversion scripts and vendored copies of other distributions.
- :mod:`.frameworks`: the framework rule ("uses"), per-framework evidence and roles, the primary one.
- :mod:`.published`: the published ICLR 2020 census' method run on the same checkout.
- :mod:`.infer`: one repository → rows; many repositories in parallel processes. :mod:`.tables`: CSVs.
"""

from crawlers.dependencies.records import Dependency

__all__ = ["Dependency"]
