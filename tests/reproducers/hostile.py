"""Builders for the upstream part of the hostile-input corpus (see docs/hostile-inputs.md (sandbox section)).

Everything is made here, in the test's own folders: a malicious sdist whose ``setup.py`` writes a
canary file, an honest hand-made wheel, and git repositories served as ``https://github.com/...``
through ``url.<mirror>.insteadOf``. A canary is a file that appears only if some code ran on the host;
every test that plants one asserts that it is still absent afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import subprocess
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Names no index serves, so pip can only find what the test puts in its find-links folder.
SDIST_NAME = "audit-hostile-canary-sdist"
WHEEL_NAME = "audit-hostile-honest-wheel"


def canary_code(canary: Path, what: str) -> str:
    """Python that writes ``canary`` (creating its folder) when run anywhere it can."""
    return (
        "import os\n"
        f"os.makedirs({str(canary.parent)!r}, exist_ok=True)\n"
        f"with open({str(canary)!r}, 'a') as handle:\n"
        f"    handle.write({what!r} + ' ran\\n')\n"
    )


def malicious_sdist(folder: Path, canary: Path, *, name: str = SDIST_NAME, version: str = "1.0") -> Path:
    """An sdist whose setup.py writes ``canary``: building it anywhere on the host would show."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{name.replace('-', '_')}-{version}"
    files = {
        "setup.py": canary_code(canary, "setup.py of the sdist")
        + f"from setuptools import setup\nsetup(name={name!r}, version={version!r}, py_modules=[])\n",
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        "pyproject.toml": (
            '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        ),
    }
    target = folder / f"{stem}.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        for relative, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{stem}/{relative}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def honest_wheel(folder: Path, *, name: str = WHEEL_NAME, version: str = "1.0") -> Path:
    """A minimal pure-Python wheel made by hand (zip, METADATA, WHEEL, RECORD): nothing to build."""
    folder.mkdir(parents=True, exist_ok=True)
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"VERSION = {version!r}\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: audit-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    target = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return target


def isolated_pip(monkeypatch, find_links: Path) -> None:
    """pip sees only ``find_links``: no user or site config, an index that refuses at once."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_FIND_LINKS", str(find_links))
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")


def git(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Plain git for building test repositories (fixed identity and dates)."""
    fixed = {
        **os.environ,
        **(env or {}),
        "GIT_AUTHOR_NAME": "Lab",
        "GIT_AUTHOR_EMAIL": "lab@example.org",
        "GIT_COMMITTER_NAME": "Lab",
        "GIT_COMMITTER_EMAIL": "lab@example.org",
        "GIT_AUTHOR_DATE": "2020-01-01T00:00:00+00:00",
        "GIT_COMMITTER_DATE": "2020-01-01T00:00:00+00:00",
    }
    result = subprocess.run(["git", *args], cwd=cwd, env=fixed, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def publish(work: Path, mirror: Path, owner_repo: str) -> None:
    """A bare copy of ``work`` at ``mirror/<owner>/<repo>`` (what insteadOf points github.com to)."""
    target = mirror / owner_repo
    target.parent.mkdir(parents=True, exist_ok=True)
    git("clone", "--quiet", "--bare", str(work), str(target), cwd=work.parent)
    git("config", "uploadpack.allowReachableSHA1InWant", "true", cwd=target)


@contextmanager
def hanging_git_server() -> Iterator[str]:
    """An HTTP "git server" on 127.0.0.1 that accepts connections and never answers: its base URL."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            held.append(connection)  # read nothing, answer nothing

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        server.close()
