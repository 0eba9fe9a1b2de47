"""Fixtures: one fake OpenReview server per session, reset for every test, and the client's env."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.crawlers.fake_openreview import FakeOpenReview, serve_all


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenReview]:
    """Building the 2,213 ICLR 2020 notes takes a moment: do it once."""
    yield from serve_all()


@pytest.fixture
def fake(fake_server: FakeOpenReview, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeOpenReview:
    """The fake server with no faults and no recorded requests, and openreview-py pointed at it.

    Credentials are removed so that the client stays anonymous, as a first-time user's would; the
    cache (downloaded PDFs) is the test's own.
    """
    fake_server.reset()
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENREVIEW_API_BASEURL", fake_server.base_v1)
    monkeypatch.setenv("OPENREVIEW_API_BASEURL_V2", fake_server.base_v2)
    for name in ("OPENREVIEW_USERNAME", "OPENREVIEW_PASSWORD", "OPENREVIEW_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return fake_server


@pytest.fixture
def cli(fake: FakeOpenReview) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m audit ...`` as a user would, against the fake server (env inherited)."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "audit", *args], capture_output=True, text=True, timeout=120, check=False
        )

    return run
