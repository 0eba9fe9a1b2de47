"""CITATION.cff: valid Citation File Format 1.2.0 keys, and the version and licence the package has."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

from audit import __version__

ROOT = Path(__file__).resolve().parents[2]
#: the top-level keys CFF 1.2.0 defines (its schema's "properties"); required ones first
REQUIRED = {"cff-version", "message", "title", "authors"}
KNOWN = REQUIRED | {
    "abstract", "commit", "contact", "date-released", "doi", "identifiers", "keywords", "license",
    "license-url", "preferred-citation", "references", "repository", "repository-artifact",
    "repository-code", "type", "url", "version",
}  # fmt: skip


def test_citation_file_matches_the_package():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert set(cff) >= REQUIRED and set(cff) <= KNOWN
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert str(cff["version"]) == __version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert cff["license"] == project["license"]["text"]
    # every author is a person (family-names) or an entity (name)
    assert cff["authors"] and all({"name"} <= set(a) or {"family-names"} <= set(a) for a in cff["authors"])
    assert all(isinstance(k, str) for k in cff["keywords"])
