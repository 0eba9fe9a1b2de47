"""Cache, data and output locations follow the environment."""

from __future__ import annotations

from pathlib import Path

from audit import workspace


def test_cache_dir_default_and_override(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("AUDIT_CACHE_DIR", raising=False)
    assert workspace.cache_dir() == Path.home() / ".cache" / "audit"
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path))
    assert workspace.cache_dir() == tmp_path


def test_data_dir_defaults_inside_cache(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("AUDIT_DATA_DIR", raising=False)
    assert workspace.data_dir() == tmp_path / "data"
    monkeypatch.setenv("AUDIT_DATA_DIR", str(tmp_path / "datasets"))
    assert workspace.data_dir() == tmp_path / "datasets"


def test_output_dirs_are_named_after_the_venue_and_paper() -> None:
    assert workspace.census_output_dir("ICLR.cc/2020/Conference", None) == Path(
        "audit-output/census/ICLR.cc_2020_Conference"
    )
    assert workspace.reproduction_output_dir("B1VZqjAcYX", "quick", None) == Path(
        "audit-output/reproduce/B1VZqjAcYX-quick"
    )
    assert workspace.census_output_dir("x", Path("mine")) == Path("mine")
