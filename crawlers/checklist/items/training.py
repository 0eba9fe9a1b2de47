"""Item 2, training code.

- **yes**: a README command runs a file of the code base that trains (its name says so, it has
  training calls or training options, or the command sits in a *Training*/*Usage* section or passes
  ``--epochs``/``--lr``); or an entry point (``__main__`` guard, argument parser, top-level script,
  notebook, shell script) that trains: optimiser steps, ``backward()``, ``fit()``, ``minimize()``,
  framework trainers, a ``train(...)`` call, ``--epochs``/``--lr`` options, or a training name
  (``train*.py``, ``*finetune*``) ;
- **unclear**: training calls only in library modules that nothing runs, or a README training command
  whose script is not in the checkout;
- **no**: nothing that trains.
"""

from __future__ import annotations

from crawlers.checklist.code import FileFacts, Signal
from crawlers.checklist.codebase import CodeBase
from crawlers.checklist.items.common import (
    TRAIN_ARGS,
    TRAIN_NAME,
    TRAIN_SECTION,
    command_evidence,
    facts_evidence,
    in_section,
    is_unit_test,
    option_names,
    readme_commands,
)
from crawlers.checklist.records import NO, UNCLEAR, YES, ItemVerdict

ITEM = "training"


def _strongest(signals: list[Signal]) -> Signal:
    """A call (``optimizer.step()``) rather than an option, when there is one."""
    calls = [s for s in signals if not s.what.endswith("option")]
    return (calls or signals)[0]


def trains(facts: FileFacts | None) -> bool:
    return bool(facts and (facts.train or TRAIN_NAME.search(facts.stem)) and not is_unit_test(facts))


def judge(base: CodeBase) -> ItemVerdict:
    missing = None
    for document, command in readme_commands(base):
        if not command.runs_code or not command.target:
            continue
        wants_training = TRAIN_NAME.search(command.target.lower()) or any(TRAIN_ARGS.search(o) for o in option_names(command))
        path = base.resolve(command.target)
        facts = base.facts_of(path) if path else None
        if path and (trains(facts) or wants_training or (in_section(command.block, TRAIN_SECTION) and facts and facts.train)):
            detail = f"; {path}: {_strongest(facts.train).what}" if facts and facts.train else ""
            return ItemVerdict(ITEM, YES, command_evidence(document, command), f"README command runs {path}{detail}")
        if not path and wants_training and missing is None:
            missing = (document, command)
    entries = [f for f in base.facts if f.entry_point and not is_unit_test(f) and f.kind != "config"]
    ranked = sorted(
        (f for f in entries if f.train or TRAIN_NAME.search(f.stem)),
        key=lambda f: (not TRAIN_NAME.search(f.stem), not f.train, f.path.count("/"), f.path),
    )
    if ranked:
        best = ranked[0]
        if best.train:
            signal = _strongest(best.train)
            return ItemVerdict(ITEM, YES, facts_evidence(best, signal.line, signal.what), "entry point that trains")
        return ItemVerdict(ITEM, YES, facts_evidence(best, best.entry_line, best.path), "entry point named for training")
    if missing is not None:
        document, command = missing
        return ItemVerdict(ITEM, UNCLEAR, command_evidence(document, command), "README training command runs a file not in the checkout")
    library = [f for f in base.facts if f.train and not is_unit_test(f) and f.kind == "python"]
    if library:
        signal = _strongest(library[0].train)
        return ItemVerdict(
            ITEM, UNCLEAR, facts_evidence(library[0], signal.line, signal.what), "training code in library modules only, no entry point runs it"
        )
    return ItemVerdict(ITEM, NO, note="no code that trains")
