"""Where the tests find the real data that stays outside the project (``../shared/data``).

Data recorded from other public sources (OpenReview notes, MNIST, paper lists, Horace He's counts) is
never copied into the project: every developer and CI have it in ``shared/data`` next to the
checkout. ``AUDIT_SHARED_DATA`` points elsewhere (a checkout in another place, a git worktree).
A missing folder is a test failure that says what is missing, never a silent skip.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def shared_data(*parts: str) -> Path:
    """``<shared data>/<parts...>``: the folder must exist (else an error naming it and the variable)."""
    root = Path(os.environ.get("AUDIT_SHARED_DATA") or PROJECT.parent / "shared" / "data")
    path = root.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: the tests read real data from ../shared/data next to the checkout; "
            "set AUDIT_SHARED_DATA to the folder that holds it"
        )
    return path
