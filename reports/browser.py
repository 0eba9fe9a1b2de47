"""Check a rendered HTML report in a real headless Chromium, and take its screenshot.

A report is published as a static page, so it is checked as a reader's browser shows it: it loads
without console errors or uncaught exceptions, every image decodes, and no table (nor the page)
is wider than the viewport at 1280 px. The same session captures a full-page PNG for reviewers.

Chromium is driven through its DevTools protocol over ``--remote-debugging-pipe`` (file
descriptors 3 and 4, NUL-separated JSON): no WebDriver, no extra package, and no debugging port
that another local process could connect to. The browser starts headless with a fresh profile and
everything that would reach the network switched off.

Command line (the screenshot step for reviewers, ``make screenshots``)::

    python -m reports.browser REPORT.html [REPORT.html ...] --out DIR [--width 1280]

prints one line per page (``ok`` or its problems), writes ``DIR/<folder>-<name>-<width>.png``,
and exits 1 if any page has a problem, 2 if Chromium cannot be found.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import atomic

#: where Chromium is looked for: $AUDIT_CHROMIUM, then these names on PATH (Debian: chromium).
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)

#: JavaScript run in the page after load: what a reader would notice, measured.
MEASURE = r"""
(async () => {
  await document.fonts.ready;
  const root = document.documentElement;
  const viewport = root.clientWidth;
  const images = [...document.images].map((img) => ({
    alt: img.alt || (img.getAttribute("src") || "").slice(0, 40),
    ok: img.complete && img.naturalWidth > 0,
  }));
  const tables = [...document.querySelectorAll("table")].map((table, index) => {
    let heading = table.previousElementSibling;
    while (heading && !/^H[1-6]$/.test(heading.tagName)) heading = heading.previousElementSibling;
    const box = table.getBoundingClientRect();
    return {
      index,
      heading: heading ? heading.textContent.trim() : "",
      scrollWidth: table.scrollWidth,
      clientWidth: table.clientWidth,
      right: Math.ceil(box.right),
    };
  });
  return {viewport, pageWidth: root.scrollWidth, height: root.scrollHeight, images, tables};
})()
"""


class BrowserUnavailable(RuntimeError):
    """No Chromium to run (exit 2 from the command line; tests skip with this reason)."""

    exit_code = 2


class BrowserError(RuntimeError):
    """Chromium started but the page could not be checked (crash, timeout, protocol error)."""

    exit_code = 1


def find_chromium() -> str:
    """The Chromium executable: ``$AUDIT_CHROMIUM`` if set, else the first candidate on PATH."""
    configured = os.environ.get("AUDIT_CHROMIUM")
    if configured:
        if Path(configured).is_file() and os.access(configured, os.X_OK):
            return configured
        raise BrowserUnavailable(f"AUDIT_CHROMIUM={configured} is not an executable file")
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserUnavailable(
        "no Chromium found (apt-get install chromium, or set AUDIT_CHROMIUM to its executable)"
    )


@dataclass
class PageCheck:
    """What the browser saw on one page."""

    url: str
    width: int
    console_errors: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    #: (heading above the table, its content width, its box width)
    overflowing_tables: list[tuple[str, int, int]] = field(default_factory=list)
    page_width: int = 0
    n_images: int = 0
    n_tables: int = 0
    screenshot: bytes = b""
    #: results of the caller's own expressions (``check(..., probes={name: js})``)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        found = [f"console: {e}" for e in self.console_errors]
        found += [f"image does not load: {alt}" for alt in self.broken_images]
        found += [
            f"table under {heading!r} is {content} px wide in a {box} px box"
            for heading, content, box in self.overflowing_tables
        ]
        if self.page_width > self.width:
            found.append(f"the page is {self.page_width} px wide at a {self.width} px viewport")
        return found

    @property
    def ok(self) -> bool:
        return not self.problems


class Chromium:
    """One headless Chromium with a fresh profile, spoken to over the DevTools pipe."""

    def __init__(self, executable: str | None = None, timeout_s: float = 60.0) -> None:
        self.timeout_s = timeout_s
        self.profile = tempfile.mkdtemp(prefix="audit-chromium-")
        self._next_id = 0
        self._buffer = b""
        self.events: list[dict[str, Any]] = []
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        devnull = os.open(os.devnull, os.O_RDWR)
        # the child's ends are moved above fd 9 first: a dup2 onto 3 or 4 must never overwrite the
        # other end (or be a no-op that keeps close-on-exec) when the parent happens to hold 3 or 4
        to_child_r, from_child_w, devnull = (_high(fd) for fd in (to_child_r, from_child_w, devnull))
        argv = [executable or find_chromium(), *FLAGS, f"--user-data-dir={self.profile}", "about:blank"]
        try:
            # posix_spawn maps the pipe ends onto fds 3 and 4 in the child without a preexec hook
            self.pid = self._spawn(argv, devnull, to_child_r, from_child_w)
        finally:
            for fd in (to_child_r, from_child_w, devnull):
                os.close(fd)

    def _spawn(self, argv: list[str], devnull: int, to_child_r: int, from_child_w: int) -> int:
        try:
            return os.posix_spawn(
                argv[0],
                argv,
                {**os.environ, "HOME": self.profile},
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, devnull, 0),
                    (os.POSIX_SPAWN_DUP2, devnull, 1),
                    (os.POSIX_SPAWN_DUP2, devnull, 2),
                    (os.POSIX_SPAWN_DUP2, to_child_r, 3),
                    (os.POSIX_SPAWN_DUP2, from_child_w, 4),
                ],
                setpgroup=0,
            )
        except OSError as exc:
            for fd in (self._to_child, self._from_child):
                os.close(fd)
            shutil.rmtree(self.profile, ignore_errors=True)
            raise BrowserUnavailable(f"cannot start {argv[0]}: {exc.strerror or exc}") from exc

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the browser (its process group: renderer and GPU helpers too) and remove the profile."""
        with contextlib.suppress(BrowserError):
            self.send("Browser.close", timeout_s=5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            # WNOWAIT: the exited browser stays a zombie, so its process-group id cannot be reused
            # by an unrelated process before the group's leftover helpers are killed below
            if os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                break
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None, timeout_s=None
    ) -> dict[str, Any]:
        """Call one DevTools method and wait for its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._to_child, json.dumps(message).encode() + b"\0")
        except OSError as exc:
            raise BrowserError(f"Chromium is gone ({exc.strerror})") from exc
        wanted = self._next_id
        while True:
            reply = self._read(timeout_s or self.timeout_s)
            if reply.get("id") == wanted:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str, timeout_s: float | None = None) -> dict[str, Any]:
        """The first event ``method`` of ``session`` (already received, or the next to arrive)."""
        for event in self.events:
            if event.get("method") == method and event.get("sessionId") == session:
                return event
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while True:
            event = self._read(max(0.01, deadline - time.monotonic()))
            self.events.append(event)
            if event.get("method") == method and event.get("sessionId") == session:
                return event

    def _read(self, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"Chromium did not answer within {timeout_s:.0f} s")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium closed the DevTools pipe (it crashed or exited)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def check(
        self,
        url: str,
        width: int = 1280,
        height: int = 900,
        screenshot: bool = True,
        probes: dict[str, str] | None = None,
    ) -> PageCheck:
        """Open ``url`` in a new tab at ``width`` × ``height`` CSS px and check it (see module doc).

        ``probes`` are further JavaScript expressions evaluated in the loaded page; their JSON
        values land in ``PageCheck.values`` (a test asks, e.g., whether claim ids stay on one line).
        """
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        start = len(self.events)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        measured = self.send(
            "Runtime.evaluate",
            {"expression": MEASURE, "awaitPromise": True, "returnByValue": True},
            session=session,
        )
        if "exceptionDetails" in measured:
            raise BrowserError(f"measuring the page failed: {measured['exceptionDetails'].get('text')}")
        page = measured["result"]["value"]
        result = PageCheck(url=url, width=width, page_width=int(page["pageWidth"]))
        result.n_images, result.n_tables = len(page["images"]), len(page["tables"])
        result.broken_images = [img["alt"] for img in page["images"] if not img["ok"]]
        result.overflowing_tables = [
            (t["heading"], int(t["scrollWidth"]), int(t["clientWidth"]))
            for t in page["tables"]
            if t["scrollWidth"] > t["clientWidth"] + 1 or t["right"] > page["viewport"] + 1
        ]
        for name, expression in (probes or {}).items():
            answer = self.send(
                "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session
            )
            if "exceptionDetails" in answer:
                raise BrowserError(f"probe {name!r} failed: {answer['exceptionDetails'].get('text')}")
            result.values[name] = answer["result"].get("value")
        result.console_errors = _errors(self.events[start:], session)
        if screenshot:
            shot = self.send(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": width, "height": int(page["height"]), "scale": 1},
                },
                session=session,
            )
            result.screenshot = base64.b64decode(shot["data"])
        self.send("Target.closeTarget", {"targetId": target})
        return result


def _high(fd: int) -> int:
    """A close-on-exec duplicate of ``fd`` numbered 10 or above; ``fd`` itself is closed."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


def _errors(events: list[dict[str, Any]], session: str) -> list[str]:
    """Console errors, uncaught exceptions and browser log errors (a failed load, a CSP refusal)."""
    found = []
    for event in events:
        if event.get("sessionId") != session:
            continue
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "exception")
            found.append(" ".join(str(text).split())[:200])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            found.append(args[:200])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            found.append(" ".join(str(params["entry"].get("text", "")).split())[:200])
    return found


def check_files(paths: list[Path], out_dir: Path | None, width: int = 1280) -> list[PageCheck]:
    """Check each HTML file in one browser; with ``out_dir``, write each page's full-page PNG there."""
    results = []
    with Chromium() as browser:
        for path in paths:
            result = browser.check(Path(path).resolve().as_uri(), width=width, screenshot=out_dir is not None)
            if out_dir is not None:
                out_dir.mkdir(parents=True, exist_ok=True)
                name = f"{Path(path).resolve().parent.name}-{Path(path).stem}-{width}.png"
                atomic.write_bytes(out_dir / name, result.screenshot)
            results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.browser", description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="+", type=Path, help="report.html files")
    parser.add_argument("--out", type=Path, help="folder for the screenshots (none taken without it)")
    parser.add_argument("--width", type=int, default=1280, help="viewport width in CSS px (1280)")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.pages if not p.is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        results = check_files(args.pages, args.out, args.width)
    except (BrowserUnavailable, BrowserError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    for path, result in zip(args.pages, results, strict=True):
        summary = "ok" if result.ok else "; ".join(result.problems)
        print(f"{path}: {summary} ({result.n_tables} tables, {result.n_images} images, {args.width} px)")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
