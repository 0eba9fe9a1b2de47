"""Item 2, training code.

- **yes**: a README command runs a file of the code base that trains, is named for training, passes
  ``--epochs``/``--lr``, or sits in a *Training*/*Usage*/*Run an experiment* section of a code base that
  trains somewhere; or an entry point (``__main__`` guard, argument parser, top-level script, notebook,
  shell script) that trains or imports a local module that trains, or is named for training
  (``train*.py``, ``*finetune*``). *Trains* means an optimiser (construction, ``step()``,
  ``minimize()``), ``fit()``/framework trainers, a ``train(...)`` call, or gradients (``backward()``)
  together with ``--epochs``/``--lr`` options; gradients alone are also how saliency maps and attacks
  are computed, so they do not count on their own;
- **unclear**: training code only in library modules that no entry point runs or imports, or a README
  training command whose script is not in the checkout;
- **no**: nothing that trains.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from crawlers.checklist.code import TRAINING_KINDS, FileFacts, Signal
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
    """A training call (``optimizer.step()``) rather than a gradient or an option, when there is one."""
    ranked = sorted(signals, key=lambda s: (s.kind not in TRAINING_KINDS, s.kind == "option"))
    return ranked[0]


def _trainers(base: CodeBase) -> dict[str, FileFacts]:
    """Python modules that train, by the dotted names an import could use (``lib.trainer``, ``trainer``)."""
    found: dict[str, FileFacts] = {}
    for facts in base.facts:
        if facts.kind == "python" and facts.trains and not is_unit_test(facts):
            parts = PurePosixPath(facts.path).with_suffix("").parts
            for start in range(len(parts)):
                found.setdefault(".".join(parts[start:]), facts)
    return found


def _imported_trainer(facts: FileFacts, trainers: dict[str, FileFacts]) -> FileFacts | None:
    for name in sorted(facts.imports):
        for candidate in (name, name.rsplit(".", 1)[0]):
            hit = trainers.get(candidate)
            if hit is not None and hit.path != facts.path:
                return hit
    return None


def judge(base: CodeBase) -> ItemVerdict:
    trainers = _trainers(base)
    anywhere = bool(trainers) or any(f.trains for f in base.facts)
    missing = None
    for document, command in readme_commands(base):
        if not command.runs_code or not command.target:
            continue
        wants = TRAIN_NAME.search(command.target.lower()) or any(
            TRAIN_ARGS.search(o) for o in option_names(command)
        )
        path = base.resolve(command.target)
        facts = base.facts_of(path) if path else None
        if facts is not None and is_unit_test(facts):
            continue
        own = facts is not None and (facts.trains or _imported_trainer(facts, trainers) is not None)
        if path and (own or wants or (in_section(command.block, TRAIN_SECTION) and anywhere)):
            detail = f"; {path}: {_strongest(facts.train).what}" if facts and facts.train else ""
            return ItemVerdict(
                ITEM, YES, command_evidence(document, command), f"README command runs {path}{detail}"
            )
        if not path and wants and missing is None:
            missing = (document, command)
    entries = [f for f in base.facts if f.entry_point and not is_unit_test(f) and f.kind != "config"]
    direct = sorted(
        (f for f in entries if f.trains or TRAIN_NAME.search(f.stem)),
        key=lambda f: (not TRAIN_NAME.search(f.stem), not f.trains, f.path.count("/"), f.path),
    )
    if direct:
        best = direct[0]
        if best.trains:
            signal = _strongest(best.train)
            return ItemVerdict(
                ITEM, YES, facts_evidence(best, signal.line, signal.what), "entry point that trains"
            )
        return ItemVerdict(
            ITEM, YES, facts_evidence(best, best.entry_line, best.path), "entry point named for training"
        )
    for entry in sorted(entries, key=lambda f: (f.path.count("/"), f.path)):
        trainer = _imported_trainer(entry, trainers)
        if trainer is not None:
            note = f"entry point imports {trainer.path}, which trains ({_strongest(trainer.train).what})"
            return ItemVerdict(ITEM, YES, facts_evidence(entry, entry.entry_line, entry.path), note)
    if missing is not None:
        document, command = missing
        return ItemVerdict(
            ITEM,
            UNCLEAR,
            command_evidence(document, command),
            "README training command runs a file not in the checkout",
        )
    library = [f for f in base.facts if f.trains and not is_unit_test(f)]
    if library:
        signal = _strongest(library[0].train)
        note = "training code in library modules only, no entry point runs it"
        return ItemVerdict(ITEM, UNCLEAR, facts_evidence(library[0], signal.line, signal.what), note)
    return ItemVerdict(ITEM, NO, note="no code that trains")
