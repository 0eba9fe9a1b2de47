"""The fast import scanner gives exactly what ``ast`` gives: (module, line, context) for every import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from crawlers.dependencies.fastscan import scan_source
from crawlers.dependencies.files import read_text, walk_files
from crawlers.dependencies.imports import imports_from_ast

ROOT = Path(__file__).resolve().parents[2]

TRICKY = '''"""Docstring with code in it:

    import not_an_import
    try:
"""
import os, sys as system
from google.cloud import storage, bigquery as bq
from package.sub import (
    first,
    second,
)
x = ("unbalanced ( in a string", ')')
y = [a
     for a in range(3)
     if a]  # a comprehension's for/if are no blocks
try:
    import ujson as json
except ImportError:
    import json
else:
    from extra import thing
finally:
    import atexit
try:
    import must
except KeyError:
    pass
if TYPE_CHECKING:
    import typing_only
elif x:
    import elif_branch
else:
    import else_branch
for i in range(2):
    pass
else:
    import for_else
def f():
    import inside
    try:
        import nested
    except Exception:
        pass
class C:
    import in_class
try: import inline_try
except: pass
if x: import inline_if; import second_inline
s = """
from in_string import nothing
"""
'''


def _ast(text: str) -> list[tuple[str, int, str]]:
    return sorted(set(imports_from_ast(ast.parse(text))))


def test_tricky_constructs() -> None:
    found, suspect = scan_source(TRICKY)
    assert sorted(set(found)) == _ast(TRICKY) and not suspect
    contexts = {module: context for module, _, context in found}
    assert contexts["json"] == contexts["extra"] == contexts["inline_try"] == "optional"
    assert contexts["atexit"] == contexts["must"] == contexts["for_else"] == contexts["in_class"] == "module"
    assert contexts["typing_only"] == "typing" and contexts["elif_branch"] == "module"
    assert contexts["inside"] == contexts["nested"] == "function"
    assert "not_an_import" not in contexts and "in_string" not in contexts


@pytest.mark.parametrize(
    ("text", "suspect"),
    [('print "python 2"\n', True), ("except ValueError, e:\n", True), ("print('3')\n", False)],
)
def test_python2_statements_make_a_file_suspect(text: str, suspect: bool) -> None:
    assert scan_source("import os\n" + text)[1] is suspect


def test_same_as_ast_on_this_projects_sources() -> None:
    files = [p for p in walk_files(ROOT) if p.suffix == ".py"]
    assert len(files) > 100
    for path in files:
        text = read_text(path)
        found, suspect = scan_source(text)
        assert sorted(set(found)) == _ast(text), path
        assert not suspect, path
