"""Children that Ctrl-C reaches, however the test run was started.

A shell starts a background job (``make test &``, ``nohup``) with SIGINT ignored, children inherit
that, and a Python started with SIGINT ignored never installs its KeyboardInterrupt handler: a test
that sends SIGINT to such a child would wait for nothing. The child gets the default action back.
"""

from __future__ import annotations

import signal


def interruptible() -> None:
    """``preexec_fn`` of a child that a test interrupts with SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
