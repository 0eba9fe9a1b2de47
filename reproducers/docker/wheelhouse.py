"""Fill a wheelhouse for air-gapped image builds: ``python -m reproducers.docker.wheelhouse``.

Why: images build with ``pip install --no-index --find-links /wheels``, so every runtime package
(and its dependencies) must be a wheel in one folder. This runs the host's pip, so the host's pip
configuration applies: a ``find-links`` folder of local wheels (such as a CPU torch wheel) or a
mirror index set in pip.conf or ``PIP_*`` variables is honoured, and nothing here names a path.
Default destination: ``$AUDIT_WHEELHOUSE``, else ``.cache/wheelhouse``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from reproducers.docker.requirements import runtime_requirements
from reproducers.errors import ReproductionError

DEFAULT_DEST = Path(".cache/wheelhouse")


def default_dest() -> Path:
    value = os.environ.get("AUDIT_WHEELHOUSE", "").strip()
    return Path(value).expanduser() if value else DEFAULT_DEST


def fill(dest: Path, requirements: Sequence[str], *, quiet: bool = True) -> list[Path]:
    """Put wheels for ``requirements`` and all their dependencies into ``dest``; return its wheels.

    Offline first: when ``dest`` (with the host's find-links) already satisfies everything, no
    index is asked, so a filled wheelhouse works on an air-gapped machine and a second call costs
    about a second. Only what is missing is fetched through the host's pip configuration.
    """
    dest.mkdir(parents=True, exist_ok=True)
    ignore = dest / ".gitignore"
    if not ignore.exists():  # hundreds of MB of wheels must never end up in a commit
        ignore.write_text("*\n")
    if requirements:
        base = [
            sys.executable, "-m", "pip", "wheel", "--wheel-dir", str(dest), "--find-links", str(dest),
            "--prefer-binary", *(["--quiet"] if quiet else []),
        ]  # fmt: skip
        offline = subprocess.run([*base, "--no-index", *requirements], capture_output=True, text=True)
        if offline.returncode != 0:
            online = subprocess.run([*base, *requirements], capture_output=True, text=True, check=False)
            if online.returncode != 0:
                last = (online.stderr.strip().splitlines() or ["pip failed"])[-1]
                raise ReproductionError(f"could not fill wheelhouse {dest}: {last}")
    return sorted(dest.glob("*.whl"))


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
