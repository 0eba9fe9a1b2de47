"""Plain progress (logs, pipes): every completion is a line, chatter in between is throttled."""

from __future__ import annotations

from audit import progress as progress_module


def test_plain_progress_prints_completions_and_throttles_status(monkeypatch, capsys) -> None:
    monkeypatch.setattr(progress_module, "is_interactive", lambda: False)
    clock = iter([0.0, 0.1, 0.2, 0.3, 6.0, 6.1])
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock))
    with progress_module.progress("train", total=2) as update:
        update(0, 2, "seed 0: dense")  # t=0.0 first line
        update(0, 2, "seed 0: snip 90%")  # t=0.1 throttled
        update(1, 2, "seed 0 done")  # t=0.2 a completion: printed
        update(1, 2, "seed 1: dense")  # t=0.3 throttled
        update(1, 2, "seed 1: snip 98%")  # t=6.0 interval elapsed: printed
        update(2, 2, "seed 1 done")  # t=6.1 completion
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "train: 0/2 seed 0: dense",
        "train: 1/2 seed 0 done",
        "train: 1/2 seed 1: snip 98%",
        "train: 2/2 seed 1 done",
    ]
    assert capsys.readouterr().out == ""
