"""Fixtures shared by the report tests: one headless Chromium per module (skipped without one)."""

from __future__ import annotations

import pytest

from reports import browser


@pytest.fixture(scope="module")
def chrome():
    """A real headless Chromium (Debian's chromium; $AUDIT_CHROMIUM to choose another), or a skip
    naming what is missing."""
    try:
        browser.find_chromium()
    except browser.BrowserUnavailable as exc:
        pytest.skip(str(exc))
    with browser.Chromium() as session:
        yield session
