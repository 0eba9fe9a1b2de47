"""Checkouts of untrusted repositories: the one place where git touches code a stranger controls.

Both the census clones (``crawlers.cloning``) and the upstream entries of a reproduction
(``reproducers.upstream``) fetch repositories whose authors we do not trust. Whatever such a repository
contains must not run on the host, so every git command here:

- runs the user's ``git`` in a subprocess, so the user's configuration applies (``url.<base>.insteadOf``
  mirrors, proxies), but never prompts (``GIT_TERMINAL_PROMPT=0``, no credential manager window);
- disables hooks (``core.hooksPath=/dev/null``), filesystem monitors and every LFS filter (an LFS
  smudge would download and run nothing, but it would download), and never recurses into submodules;
- runs in its own session, with a wall-clock limit and a cap on the bytes it may write, so a huge or
  never-ending repository costs at most ``timeout_s`` and ``max_bytes``; ``cancel`` stops it at once;
- gets English messages, so that failures can be classified (:func:`classify_git_error`).

Reading a checkout never follows a symbolic link (:func:`iter_files`, :func:`tree_size_bytes`). A pinned
commit (:func:`fetch_pinned`, for upstream entries) is fetched into a bare repository: no working tree
at all on the host; ``core.export`` writes its files from git's objects, with no filter run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

#: git options that keep a repository's own configuration and content from running anything.
HARDENING: tuple[str, ...] = (
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.symlinks=true",
    "-c", "core.fsmonitor=false",
    "-c", "submodule.recurse=false",
    "-c", "filter.lfs.smudge=",
    "-c", "filter.lfs.process=",
    "-c", "filter.lfs.required=false",
    "-c", "protocol.ext.allow=never",
)  # fmt: skip

#: Folders never descended into when measuring or reading a checkout.
SKIP_DIRS = frozenset({".git"})

_POLL_S = 1.0

#: stderr fragments (lower case) → status; the first match wins.
_STDERR_STATUS: tuple[tuple[str, str], ...] = (
    ("repository not found", "not_found"),
    ("returned error: 404", "not_found"),
    ("could not read username", "not_found"),  # private or deleted repository, prompt disabled
    ("authentication failed", "not_found"),  # the same, when a credential helper had nothing valid
    ("does not exist", "not_found"),  # a local or mirrored path that is not there
    ("' not found", "not_found"),  # fatal: repository 'https://github.com/o/r/' not found
    ("does not appear to be a git repository", "not_a_repository"),
    ("is this a git repository", "not_a_repository"),  # an HTTP page that is not a git server
    ("not a git repository", "not_a_repository"),
    ("returned error: 403", "error"),
    # The host could not be reached: transient, retried by a rerun.
    ("could not resolve host", "network"),
    ("could not resolve proxy", "network"),
    ("failed to connect", "network"),
    ("connection refused", "network"),
    ("connection timed out", "network"),
    ("network is unreachable", "network"),
    ("connection reset", "network"),
    ("remote end hung up", "network"),
    ("early eof", "network"),
    ("rpc failed", "network"),
    ("gnutls", "network"),
    ("ssl", "network"),
    ("returned error: 429", "network"),
    ("returned error: 5", "network"),
    # git refuses the repository's content: a fact about the repository, not retried.
    ("file name too long", "invalid"),
    ("maximum tree depth", "invalid"),
    ("invalid path", "invalid"),
    ("does not point to a valid object", "invalid"),
)


@dataclass(frozen=True)
class GitOutcome:
    """How one git command ended: ``ok``, a status of :data:`_STDERR_STATUS`, ``timeout``,
    ``too_large`` or ``error``; ``message`` is one line (git's last fatal line, or why it was stopped)."""

    status: str
    message: str = ""
    #: for ``too_large``: the bytes measured (or that the checkout would have taken), when known
    size_bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def git_env() -> dict[str, str]:
    """The environment for git: no prompts, no LFS downloads, English messages for stderr matching."""
    env = dict(os.environ)
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GCM_INTERACTIVE": "never",  # Git Credential Manager must not open a login window either
            "GIT_LFS_SKIP_SMUDGE": "1",
            "GIT_ASKPASS": "",
            "SSH_ASKPASS": "",
            "LC_ALL": "C",
            "LANG": "C",
        }
    )
    return env


def git_command(*args: str, cwd: Path | None = None) -> list[str]:
    """``git`` with the hardening options, optionally ``-C cwd``, then ``args``."""
    return ["git", *HARDENING, *(["-C", str(cwd)] if cwd is not None else []), *args]


def classify_git_error(stderr: str) -> str:
    """Map git's stderr to a status; unknown messages are ``error``."""
    text = stderr.lower()
    for fragment, status in _STDERR_STATUS:
        if fragment in text:
            return status
    return "error"


def last_line(stderr: str) -> str:
    """git's last ``fatal:``/``error:`` line (else its last line), at most 300 characters."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    fatal = [line for line in lines if line.lower().startswith(("fatal:", "error:"))]
    return (fatal or lines or [""])[-1][:300]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    timeout_s: float,
    watch: Path | None = None,
    max_bytes: int | None = None,
    cancel: threading.Event | None = None,
) -> GitOutcome:
    """Run one hardened git command; the bytes under ``watch`` are capped at ``max_bytes`` meanwhile.

    git runs in its own session (so a timeout can kill it with its helpers), which also means a
    Ctrl-C on the terminal never reaches it: ``cancel`` is how an interrupted run stops it at once.
    """
    what = args[0] if args else "git"
    with open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(
            git_command(*args, cwd=cwd),
            stdin=devnull,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=git_env(),
            start_new_session=True,  # its own process group, so a timeout kills git and its helpers
        )
    deadline = time.monotonic() + timeout_s
    chunks: list[bytes] = []
    while True:
        wait = min(_POLL_S, max(0.0, deadline - time.monotonic()))
        try:
            _, err = proc.communicate(timeout=wait)
            chunks.append(err or b"")
            break
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                _kill_group(proc)
                return GitOutcome("error", "interrupted")
            if time.monotonic() >= deadline:
                _kill_group(proc)
                return GitOutcome("timeout", f"git {what} took longer than {timeout_s:g} s")
            if watch is not None and max_bytes is not None and _over(watch, max_bytes):
                _kill_group(proc)
                return GitOutcome("too_large", f"over {max_bytes // 1_000_000} MB while downloading")
    stderr = b"".join(chunks).decode("utf-8", errors="replace")
    if proc.returncode != 0:
        ended = f"killed by signal {-proc.returncode}" if proc.returncode < 0 else f"exited {proc.returncode}"
        return GitOutcome(classify_git_error(stderr), last_line(stderr) or f"git {what} {ended}")
    return GitOutcome("ok")


def _over(root: Path, max_bytes: int) -> bool:
    return root.exists() and tree_size_bytes(root) > max_bytes


def shallow_clone(
    url: str,
    dest: Path,
    *,
    ref: str = "",
    timeout_s: float,
    max_bytes: int,
    cancel: threading.Event | None = None,
) -> GitOutcome:
    """``git clone --depth 1`` of one branch or tag (default branch without ``ref``) into ``dest``.

    The clone is made without a checkout first, and the files are written only when the tree's blob
    sizes (read from the downloaded pack, nothing written) fit in ``max_bytes``: a repository whose
    pack is small but whose checkout is huge (a few MB of compressed zeros that expand to gigabytes)
    is ``too_large`` before a byte of it lands on disk.
    """
    deadline = time.monotonic() + timeout_s
    args = ["clone", "--depth", "1", "--no-tags", "--single-branch", "--no-checkout", "--quiet"]
    if ref:
        args += ["--branch", ref]
    args += ["--", url, str(dest)]
    cloned = run_git(args, timeout_s=timeout_s, watch=dest, max_bytes=max_bytes, cancel=cancel)
    if not cloned.ok:
        return cloned
    listed = checkout_bytes(dest, timeout_s=max(1.0, deadline - time.monotonic()))
    if isinstance(listed, GitOutcome):
        return listed
    total = listed + tree_size_bytes(dest)
    if total > max_bytes:
        cap = max_bytes / 1_000_000
        message = f"the checkout would be {total / 1_000_000:.1f} MB, over {cap:g} MB"
        return GitOutcome("too_large", message, size_bytes=total)
    checked = run_git(
        ["checkout", "--quiet"],
        cwd=dest,
        timeout_s=max(1.0, deadline - time.monotonic()),
        watch=dest,
        max_bytes=max_bytes,
        cancel=cancel,
    )
    if (
        checked.status == "error"
        and checked.message != "interrupted"
        and "no space" not in checked.message.lower()
    ):
        # The download worked and git could not write the tree (it crashes on 10,000 nested folders,
        # refuses paths it finds unsafe): a property of the repository, so a rerun will not retry it.
        return GitOutcome("invalid", f"git could not check out the tree: {checked.message}")
    return checked


def checkout_bytes(checkout: Path, *, timeout_s: float) -> int | GitOutcome:
    """Bytes the files of HEAD's tree take once checked out (``git ls-tree -r -l``), or why not known."""
    try:
        result = subprocess.run(
            git_command("ls-tree", "-r", "-l", "--full-tree", "HEAD", cwd=checkout),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=git_env(),
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return GitOutcome("timeout", f"git ls-tree took longer than {timeout_s:g} s")
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", errors="replace")
        status = classify_git_error(stderr)
        message = last_line(stderr) or "git ls-tree failed"
        return GitOutcome("invalid" if status == "error" else status, message)
    total = 0
    for line in result.stdout.splitlines():
        fields = line.split(None, 4)  # mode type object size\tpath
        if len(fields) >= 4 and fields[3].isdigit():
            total += int(fields[3])
    return total


def fetch_pinned(
    url: str,
    dest: Path,
    commit: str,
    *,
    timeout_s: float,
    max_bytes: int,
    cancel: threading.Event | None = None,
) -> GitOutcome:
    """A bare repository at ``dest`` holding ``url``'s ``commit``, with HEAD detached at it.

    Bare on purpose: no working tree is ever written on the host, so nothing of the repository
    (links to ``/etc/passwd``, hostile file names, whatever a checkout bug would let through) lands
    on the host's file system as files; :func:`core.export.export_commit` writes the commit's files
    from git's objects where they are needed. Tries a shallow fetch of the commit itself first
    (GitHub, GitLab and ``git daemon`` with ``uploadpack.allowReachableSHA1InWant`` serve it), then
    every branch. ``max_bytes`` caps the download (checked while it runs and once it is done).
    """
    dest.mkdir(parents=True, exist_ok=True)
    init = run_git(["init", "--quiet", "--bare", str(dest)], timeout_s=60)
    if not init.ok:
        return init
    deadline = time.monotonic() + timeout_s

    def left() -> float:
        return max(1.0, deadline - time.monotonic())

    remote = run_git(["remote", "add", "origin", url], cwd=dest, timeout_s=60)
    if not remote.ok:
        return remote
    limits = {"watch": dest, "max_bytes": max_bytes, "cancel": cancel}
    fetched = run_git(
        ["fetch", "--quiet", "--depth", "1", "--no-tags", "origin", commit],
        cwd=dest,
        timeout_s=left(),
        **limits,
    )
    late = GitOutcome(
        "timeout", f"git fetch took longer than {timeout_s:g} s"
    )  # the whole limit, not what was left
    if fetched.status in ("timeout", "too_large") or (cancel is not None and cancel.is_set()):
        return late if fetched.status == "timeout" else fetched
    if not fetched.ok:  # servers that refuse a sha in "want": fetch every branch, then find the commit
        fetched = run_git(
            ["fetch", "--quiet", "--no-tags", "origin", "+refs/heads/*:refs/remotes/origin/*"],
            cwd=dest,
            timeout_s=left(),
            **limits,
        )
        if not fetched.ok:
            return late if fetched.status == "timeout" else fetched
    size = tree_size_bytes(dest)
    if size > max_bytes:  # a download quicker than one size check
        return GitOutcome(
            "too_large", f"{size / 1_000_000:.1f} MB is over the {max_bytes / 1_000_000:g} MB cap"
        )
    found = run_git(["cat-file", "-e", f"{commit}^{{commit}}"], cwd=dest, timeout_s=left())
    if not found.ok:
        return GitOutcome("not_found", f"commit {commit} is not in {url}")
    detached = run_git(["update-ref", "--no-deref", "HEAD", commit], cwd=dest, timeout_s=left())
    if not detached.ok:
        return detached
    head = head_commit(dest)
    if head != commit:
        return GitOutcome("error", f"{url} holds {head or 'nothing'} at HEAD, not the pinned {commit}")
    return GitOutcome("ok")


def head_commit(checkout: Path) -> str:
    """The checked-out commit's sha, or "" when there is none."""
    result = subprocess.run(
        git_command("rev-parse", "HEAD"),
        cwd=checkout,
        capture_output=True,
        text=True,
        env=git_env(),
        timeout=60,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else ""


Walk = Iterator[tuple[Path, list[str], list[str]]]


def walk(root: Path, *, skip_dirs: frozenset[str] = frozenset()) -> Walk:
    """``os.walk(root, followlinks=False)`` without recursion, top-down, names sorted.

    Python 3.11's ``os.walk`` recurses once per folder level, so a repository with a few thousand
    nested folders raises RecursionError; this walk keeps its own stack. Links to folders are listed
    among the files (as ``os.walk`` lists them among the folders, but never enters them); folders that
    cannot be read are skipped. Callers may prune ``dirs`` in place, as with ``os.walk``.
    """
    stack = [Path(root)]
    while stack:
        current = stack.pop()
        dirs, files = [], []
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    if not is_dir:
                        files.append(entry.name)
                    elif entry.name not in skip_dirs:
                        dirs.append(entry.name)
        except OSError:
            continue
        dirs.sort()
        files.sort()
        yield current, dirs, files
        stack.extend(current / name for name in reversed(dirs))


def remove_tree(root: Path) -> None:
    """``shutil.rmtree`` without recursion (Python 3.11's recurses per level, and a checkout may nest
    thousands of folders); links are removed, never followed; what cannot be removed is left."""
    root = Path(root)
    if root.is_symlink() or not root.is_dir():
        with contextlib.suppress(FileNotFoundError):
            root.unlink()
        return
    folders = []
    for base, _dirs, files in walk(root):
        folders.append(base)
        for name in files:
            with contextlib.suppress(OSError):
                os.unlink(base / name)
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def iter_files(root: Path, *, skip_dirs: frozenset[str] = SKIP_DIRS) -> Iterator[Path]:
    """Every regular file under ``root``; symbolic links (files or folders) are never followed."""
    for base, _dirs, files in walk(root, skip_dirs=skip_dirs):
        for name in files:
            path = base / name
            if not path.is_symlink() and path.is_file():
                yield path


def tree_size_bytes(root: Path) -> int:
    """Bytes on disk under ``root`` (``.git`` included: that is what the cache costs), links not followed."""
    total = 0
    for base, dirs, files in walk(root):
        for name in files + dirs:
            try:
                total += os.lstat(base / name).st_size
            except OSError:
                continue
    return total
