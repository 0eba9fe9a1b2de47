"""Progress display: a rich bar on a terminal, sparse plain lines in logs and pipes.

Lower packages never import this module. They accept an optional callback with the signature
``callback(done: int, total: int, message: str)`` (see :data:`ProgressCallback`) and call it as work
finishes; :func:`progress` adapts that callback to whatever the current output can show.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

ProgressCallback = Callable[[int, int, str], None]

#: Plain mode prints at most one line per this many seconds (plus the first and the last).
PLAIN_INTERVAL_S = 5.0

_console = Console(stderr=True)


def is_interactive() -> bool:
    """True when stderr is a terminal, so a live progress bar is readable."""
    return sys.stderr.isatty()


def info(message: str) -> None:
    """A status line on stderr, keeping stdout clean for parseable output."""
    if is_interactive():
        _console.print(message, highlight=False)
    else:
        print(message, file=sys.stderr, flush=True)


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[ProgressCallback]:
    """Yield a ``(done, total, message)`` callback that drives a bar or plain log lines."""
    if is_interactive():
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[message]}"),
            console=_console,
            transient=False,
        ) as bar:
            task = bar.add_task(description, total=total, message="")

            def update(done: int, new_total: int, message: str = "") -> None:
                bar.update(task, completed=done, total=new_total or None, message=message[:60])

            yield update
        return

    state: dict[str, float] = {"last": -PLAIN_INTERVAL_S, "done": -1.0}

    def log(done: int, new_total: int, message: str = "") -> None:
        # Every completion is printed; status messages in between at most once per interval.
        now = time.monotonic()
        advanced = done != state["done"]
        if not advanced and now - state["last"] < PLAIN_INTERVAL_S:
            return
        state["last"], state["done"] = now, done
        of = f"/{new_total}" if new_total else ""
        suffix = f" {message}" if message else ""
        print(f"{description}: {done}{of}{suffix}", file=sys.stderr, flush=True)

    yield log
