"""Real git repositories in temporary folders, reachable as ``https://github.com/<owner>/<repo>``.

No network: a temporary global git config (``GIT_CONFIG_GLOBAL``) rewrites GitHub URLs with
``url.<base>.insteadOf`` to ``file://`` paths under a mirror folder, exactly as a user's mirror
configuration would; the code under test runs the real ``git``. Owners can be routed elsewhere:
``ghost`` to a local HTTP server that answers 404 like GitHub for a deleted repository (git: "repository
'...' not found"), ``notgit`` to a ``file://`` folder that is not a repository, ``slow`` to a local TCP
server that never answers.

Import these helpers explicitly (``from tests.crawlers.repo_factory import ...``); tests/crawlers/conftest.py
belongs to the crawler's tests.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

GIT_IDENTITY = [
    "-c",
    "user.name=Test Author",
    "-c",
    "user.email=author@example.org",
    "-c",
    "commit.gpgsign=false",
]


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` (a test repository, never the project) and return stdout."""
    result = subprocess.run(
        ["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.strip()


def make_repo(
    path: Path, files: dict[str, str | bytes], *, symlinks: dict[str, str] | None = None
) -> tuple[Path, str]:
    """Create a git repository at ``path`` with ``files`` (and symbolic links) committed; return its HEAD."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    for relative, content in files.items():
        target = path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    for relative, destination in (symlinks or {}).items():
        link = path / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(destination)
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "-m", "initial")
    return path, git(path, "rev-parse", "HEAD")


def notebook(*cells: str) -> str:
    """An nbformat-4 notebook with one code cell per argument (sources as line lists, like Jupyter)."""
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 4,
            "metadata": {},
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                    "source": cell.splitlines(keepends=True),
                }
                for cell in cells
            ],
        }
    )


class _NotFoundHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class NotFoundServer:
    """An HTTP server on 127.0.0.1 that answers 404 to everything (a deleted GitHub repository)."""

    def __init__(self) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFoundHandler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers (a hung git host)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.clients: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
                self.clients.append(client)
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=2)
        for client in self.clients:
            client.close()
        self.sock.close()


@dataclass
class GitHubMirror:
    """Where ``https://github.com/<owner>/<repo>`` points during a test."""

    root: Path
    commits: dict[str, str] = field(default_factory=dict)

    def add(
        self, owner_repo: str, files: dict[str, str | bytes], *, symlinks: dict[str, str] | None = None
    ) -> str:
        """Create the repository ``owner/repo`` in the mirror; return its clone URL."""
        _, commit = make_repo(self.root / owner_repo, files, symlinks=symlinks)
        url = f"https://github.com/{owner_repo}"
        self.commits[url] = commit
        return url


@pytest.fixture
def github_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubMirror]:
    """A mirror folder plus the git config and cache environment that route GitHub URLs to it."""
    mirror = tmp_path / "mirror"
    (mirror / "notgit" / "folder").mkdir(parents=True)
    (mirror / "notgit" / "folder" / "README").write_text("not a repository\n")
    server, missing = _SilentServer(), NotFoundServer()
    config = tmp_path / "gitconfig"
    config.write_text(
        f'[url "file://{mirror}/"]\n\tinsteadOf = https://github.com/\n'
        f'[url "http://127.0.0.1:{missing.port}/ghost/"]\n\tinsteadOf = https://github.com/ghost/\n'
        f'[url "http://127.0.0.1:{server.port}/"]\n\tinsteadOf = https://github.com/slow/\n'
        "[protocol]\n\tallow = always\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    try:
        yield GitHubMirror(mirror)
    finally:
        server.close()
        missing.close()


def write_papers_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """A papers.csv in the crawler's column layout (missing columns empty)."""
    import csv

    columns = [
        "forum",
        "number",
        "title",
        "decision",
        "accepted",
        "code_url",
        "repo_url",
        "repo_subpath",
        "host",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def env_for_subprocess() -> dict[str, str]:
    """The current environment (with the fixture's git routing) for a CLI subprocess."""
    return dict(os.environ)
