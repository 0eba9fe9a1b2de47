"""The HTML report in a real headless Chromium: no console errors, every image loads, nothing wider
than 1280 px; and the check itself catches each of those faults on a page built to have them."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from reports import browser
from reports.reproduction import write_verdicts_and_report
from tests.reports.repro_folder import make_folder
from tests.reports.test_reproduction_verdicts import CLAIMS

PNG = b"\x89PNG\r\n\x1a\n"


def chromium_or_skip() -> str:
    try:
        return browser.find_chromium()
    except browser.BrowserUnavailable as exc:
        pytest.skip(str(exc))


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG)
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


#: claim ids on more than one line (a hyphenated id wrapped mid-word): their number
WRAPPED_IDS = (
    "[...document.querySelectorAll('td.claim code')].filter(c => c.getClientRects().length > 1).length"
)
CLAIM_IDS = "document.querySelectorAll('td.claim code').length"


def test_report_passes_at_1280_px(chrome, tmp_path):
    folder = make_folder(tmp_path / "TEST-paper")
    (folder / "discussion.md").write_text("# Notes\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n")
    html = write_verdicts_and_report(folder)
    result = chrome.check(html.as_uri(), width=1280, probes={"wrapped": WRAPPED_IDS, "ids": CLAIM_IDS})
    assert result.problems == []
    # ids: every claim in scope, all but quick-only judged, quick-only not judged, the 4 inconclusive
    # claims' next steps, and 5 seeds of differences per relation claim
    relations = sum(c.kind == "relation" for c in CLAIMS)
    assert (len(CLAIMS), relations) == (23, 10)
    assert result.values == {"wrapped": 0, "ids": 23 + 22 + 1 + 4 + relations * 5}
    assert result.n_images == 3  # accuracy, forest, per-class figures, all decoded
    # next steps, scope, results, not judged, per-seed differences, per-seed runs, variability,
    # per-class harm, the per-class linear model's terms, and the discussion's own table
    assert result.n_tables == 10
    assert png_size(result.screenshot)[0] == 1280


def test_the_check_finds_what_is_broken(chrome, tmp_path):
    page = tmp_path / "broken.html"
    wide = "".join(f"<td>{'x' * 40}{i}</td>" for i in range(40))
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title></head><body>"
        "<h3>Wide</h3><table style='display:block;overflow-x:auto'><tr>" + wide + "</tr></table>"
        # the old report's style: code spans broken anywhere, so a claim id wrapped mid-word
        "<table><tr><td class='claim' style='width:60px'>"
        "<code style='word-break:break-all'>snip-95-beats</code></td></tr></table>"
        "<img alt='garbage' src='data:image/png;base64,AAAA'>"
        "<img alt='missing' src='missing.png'>"
        "<script>console.error('boom'); throw new Error('kaput');</script>"
        "</body></html>"
    )
    result = chrome.check(page.as_uri(), width=1280, screenshot=False, probes={"wrapped": WRAPPED_IDS})
    assert result.broken_images == ["garbage", "missing"]
    assert result.values["wrapped"] == 1  # the narrow cell below wraps its id, as the old report did
    assert [heading for heading, _, _ in result.overflowing_tables] == ["Wide"]
    assert any("boom" in e for e in result.console_errors)
    assert any("kaput" in e for e in result.console_errors)
    assert any("missing.png" in e or "ERR_FILE_NOT_FOUND" in e for e in result.console_errors)
    assert not result.ok and result.screenshot == b""


def test_a_page_wider_than_the_viewport(chrome, tmp_path):
    page = tmp_path / "wide.html"
    page.write_text(
        "<!DOCTYPE html><html><body style='margin:0'><div style='width:1500px'>x</div></body></html>"
    )
    result = chrome.check(page.as_uri(), width=1280, screenshot=False)
    assert result.page_width == 1500 and "the page is 1500 px wide at a 1280 px viewport" in result.problems


def test_screenshot_command_writes_pngs(tmp_path, capsys):
    chromium_or_skip()
    folder = make_folder(tmp_path / "TEST-paper", per_class=False)
    html = write_verdicts_and_report(folder)
    shots = tmp_path / "shots"
    assert browser.main([str(html), "--out", str(shots), "--width", "1280"]) == 0
    assert capsys.readouterr().out == f"{html}: ok (7 tables, 2 images, 1280 px)\n"
    width, height = png_size((shots / "TEST-paper-report-1280.png").read_bytes())
    assert width == 1280 and height > 2000  # the full page, not the 900 px viewport
    assert browser.main([str(tmp_path / "nope.html")]) == 2


def test_no_chromium_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("AUDIT_CHROMIUM", str(tmp_path / "not-there"))
    with pytest.raises(browser.BrowserUnavailable, match="is not an executable file"):
        browser.find_chromium()
    page = tmp_path / "p.html"
    page.write_text("<p>x</p>")
    assert browser.main([str(page)]) == 2
    assert "is not an executable file" in capsys.readouterr().err


def test_the_browser_leaves_nothing_running(tmp_path):
    chromium_or_skip()
    with browser.Chromium() as session:
        pid, profile = session.pid, Path(session.profile)
        assert profile.is_dir()
    with pytest.raises(ChildProcessError):
        __import__("os").waitpid(pid, 0)  # reaped
    assert not profile.exists()
