"""What the published ICLR 2020 census's method says about one checkout, for a per-repository comparison.

The published census (a 2020 blog post) did not publish per-repository reasons, and its per-repository
table is not available here, so each code base is run through *its method* on the same checkout:

1. a ``requirements.txt`` in the analysed folder: its lines are the tool list;
2. otherwise ``pipreqs``: imports of the ``.py`` files (pipreqs 0.4 read no notebooks), minus any
   name equal to a ``.py`` file or folder anywhere in the tree (pipreqs' local filter) and the
   standard library, mapped with pipreqs' table alone; a file that is not UTF-8 or that Python 3.6
   (what the census ran on in 2020) cannot parse aborts pipreqs, so the code base is *unparsed*
   (``.cuda(async=True)`` parsed then); so is one with no tool at all;
3. each tool name is cut to its leading word (``^\\w+``: ``tensorflow-gpu==1.14`` → ``tensorflow``)
   and a framework is counted when that list contains its substring: ``torch``, ``tensorflow``,
   ``keras``. Unparsed repositories of the ``google-research`` and ``tensorflow`` owners were counted
   as TensorFlow (12 of the published 95); the report applies that rule, since it needs the owner.

pipreqs also dropped names PyPI did not know; here they are kept, which can only add substring
matches of local names (rare: a local ``torch_utils`` folder is filtered as local anyway).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from crawlers.dependencies.files import Tree, read_text
from crawlers.dependencies.imports import ImportScan
from crawlers.dependencies.mapping import is_stdlib, pipreqs_table

#: Frameworks the published census counted, by the substring it searched for.
SUBSTRINGS = {"pytorch": "torch", "tensorflow": "tensorflow", "keras": "keras"}
METHODS = ("requirements.txt", "pipreqs", "unparsed")
_WORD = re.compile(r"^\w+")


@dataclass(frozen=True)
class PublishedMethod:
    """The published method's outcome: where its list came from, the list, and the frameworks matched."""

    method: str
    tools: tuple[str, ...] = ()
    reason: str = ""

    @property
    def frameworks(self) -> dict[str, list[str]]:
        """Framework → the cleaned tool names whose substring matched (the published census' count)."""
        if self.method == "unparsed":
            return {}
        cleaned = [m.group(0) for m in (_WORD.match(t) for t in self.tools) if m]
        found = {fw: [t for t in cleaned if sub in t] for fw, sub in SUBSTRINGS.items()}
        return {fw: names for fw, names in found.items() if names}


def _requirements_lines(path: Path) -> tuple[str, ...]:
    lines = (line.strip() for line in read_text(path).splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


def pipreqs_local_names(scan_root: Path, tree: Tree | None = None) -> set[str]:
    """pipreqs' local filter: every ``.py`` stem and every folder name under the scanned folder."""
    tree = tree or Tree.scan(scan_root)
    scan = tree.folder(scan_root)
    names: set[str] = set()
    for file in tree.under(scan):
        parts = file[len(scan) + 1 if scan else 0 :].split("/")
        if parts[-1].endswith(".py"):
            names.add(parts[-1][:-3])
        names.update(parts[:-1])
    return names


def published_method(scan_root: Path, scan: ImportScan, tree: Tree | None = None) -> PublishedMethod:
    """Run the published method on one analysed folder, from the scan already made of it."""
    requirements = scan_root / "requirements.txt"
    if requirements.is_file() and not requirements.is_symlink():
        return PublishedMethod("requirements.txt", _requirements_lines(requirements))
    if scan.not_utf8:
        return PublishedMethod("unparsed", reason=f"pipreqs aborts on {scan.not_utf8[0]}, which is not UTF-8")
    old = set(scan.parse_on_python36)
    broken = [f for f in scan.fallback_files if f.endswith(".py") and f not in old]
    if broken:
        return PublishedMethod(
            "unparsed", reason=f"pipreqs aborts on {broken[0]}, which Python 3 cannot parse"
        )
    local = pipreqs_local_names(scan_root, tree)
    table = pipreqs_table()
    tools: dict[str, None] = {}
    for site in scan.sites:
        top = site.module.split(".")[0]
        if site.notebook or not top or top in local or is_stdlib(top):
            continue
        tools[table.get(top, top)] = None
    if not tools:
        in_notebooks = any(site.notebook for site in scan.sites)
        reason = (
            "imports only in notebooks, which pipreqs does not read" if in_notebooks else "no import found"
        )
        return PublishedMethod("unparsed", reason=f"no requirements.txt; {reason}")
    return PublishedMethod("pipreqs", tuple(tools))
