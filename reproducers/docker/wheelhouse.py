"""Fill a wheelhouse for air-gapped image builds: ``python -m reproducers.docker.wheelhouse``.

Why: images build with ``pip install --no-index --find-links /wheels``, so every runtime package
(and its dependencies) must be a wheel in one folder. This runs the host's pip, so the host's pip
configuration applies: a ``find-links`` folder of local wheels (such as a CPU torch wheel) or a
mirror index set in pip.conf or ``PIP_*`` variables is honoured, and nothing here names a path.
Default destination: ``$AUDIT_WHEELHOUSE``, else ``.cache/wheelhouse``.

Binary wheels only (``pip download --only-binary=:all:``): building an sdist runs its ``setup.py``
(or build backend) on the host, and the requirement lists that reach this come from upstream
entries, i.e. name packages a stranger's code needs. A requirement that has no wheel for this
platform fails with one line; its wheel has to be built elsewhere (in a container) and put in the
wheelhouse. Direct URL requirements are refused for the same reason.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from reproducers.docker.requirements import runtime_requirements
from reproducers.errors import ReproductionError

DEFAULT_DEST = Path(".cache/wheelhouse")


def default_dest() -> Path:
    value = os.environ.get("AUDIT_WHEELHOUSE", "").strip()
    return Path(value).expanduser() if value else DEFAULT_DEST


def fill(dest: Path, requirements: Sequence[str], *, quiet: bool = True) -> list[Path]:
    """Put binary wheels for ``requirements`` and all their dependencies into ``dest``; return its wheels.

    Offline first: when ``dest`` (with the host's find-links) already satisfies everything, no
    index is asked, so a filled wheelhouse works on an air-gapped machine and a second call costs
    about a second. Only what is missing is fetched through the host's pip configuration. Nothing is
    ever built: a requirement with only an sdist raises ReproductionError (see the module docstring).
    """
    for line in requirements:
        _check_line(line)
    dest.mkdir(parents=True, exist_ok=True)
    ignore = dest / ".gitignore"
    if not ignore.exists():  # hundreds of MB of wheels must never end up in a commit
        ignore.write_text("*\n")
    if requirements:
        base = [
            sys.executable, "-m", "pip", "download", "--dest", str(dest), "--find-links", str(dest),
            "--only-binary=:all:", "--disable-pip-version-check", *(["--quiet"] if quiet else []),
        ]  # fmt: skip
        offline = subprocess.run([*base, "--no-index", *requirements], capture_output=True, text=True)
        if offline.returncode != 0:
            online = subprocess.run([*base, *requirements], capture_output=True, text=True, check=False)
            if online.returncode != 0:
                last = _pip_reason(online.stderr)
                raise ReproductionError(
                    f"could not fill wheelhouse {dest}: {last} (only binary wheels are taken on the host: "
                    "an sdist would run its setup code here; put a wheel built in a container there)"
                )
    return sorted(dest.glob("*.whl"))


def _check_line(line: str) -> None:
    """A requirement pip may download: ``name[extras] <specifier>``, never a URL or a pip option."""
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        raise ReproductionError(f"not a requirement pip may download here: {line!r}") from None
    if requirement.url:
        raise ReproductionError(f"direct URL requirement {line!r} refused: only index or find-links wheels")


def _pip_reason(stderr: str) -> str:
    """pip's own explanation: its first ``ERROR:`` line, else its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    return (errors or lines or ["pip failed"])[0][:300]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reproducers.docker.wheelhouse", description=__doc__)
    parser.add_argument(
        "--dest", type=Path, default=None, help="default: $AUDIT_WHEELHOUSE or .cache/wheelhouse"
    )
    parser.add_argument("requirements", nargs="*", help="extra requirements (default: the runtime set)")
    args = parser.parse_args(argv)
    dest = args.dest or default_dest()
    wanted = list(runtime_requirements()) + list(args.requirements)
    try:
        wheels = fill(dest, wanted, quiet=False)
    except ReproductionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(wheels)} wheels in {dest} for: {' '.join(wanted)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
