"""Item 3, evaluation code: code whose job is to evaluate, separate from the training loop.

- **yes**: a README command that evaluates (its script is named for evaluation or testing, it passes
  ``--eval``/``--test``/``--mode test``, or it sits in an *Evaluation*/*Testing*/*Inference* section); an
  entry point named for evaluation (``eval*``, ``test*`` that is not a unit test, ``infer*``,
  ``predict*``, ``attack*``, ``benchmark*``) or offering an evaluation mode (``--eval``, ``--test``,
  ``--mode`` with a test choice, an option whose help says "only test", a config switch ``evaluate:``);
  or a README line that names the file producing a paper table (``Table 1: results_table1.py``);
- **unclear**: evaluation only inside training (``model.eval()``, ``no_grad``, ``--eval_every``,
  ``evaluate()`` functions), or an evaluation command whose script is not in the checkout;
- **no**: no evaluation code at all.
"""

from __future__ import annotations

import re

from crawlers.checklist.code import FileFacts
from crawlers.checklist.codebase import CodeBase
from crawlers.checklist.commands import Command
from crawlers.checklist.document import Document
from crawlers.checklist.items.common import (
    EVAL_ARGS,
    EVAL_NAME,
    EVAL_SECTION,
    NOT_EVAL_SECTION,
    TRAIN_NAME,
    block_evidence,
    command_evidence,
    facts_evidence,
    in_section,
    is_unit_test,
    option_names,
    readme_commands,
)
from crawlers.checklist.records import NO, UNCLEAR, YES, ItemVerdict

ITEM = "evaluation"
TABLE_REFERENCE = re.compile(r"\b(table|tab\.)\s*\d+|\btables\b|\bevaluat\w*|\breproduc\w*", re.I)
FILE_WORD = re.compile(r"[\w./-]+\.(py|ipynb|sh)\b")


REPRODUCES = re.compile(
    r"\b(reproduc|replicat)\w*\b.*\b(results?|tables?|figures?)\b|\b(table|tab\.)\s*\d+", re.I
)


def _reproduces(document: Document, command: Command) -> bool:
    """The command's block, or the paragraph just before it, says it reproduces a table or results."""
    block = command.block
    if block is None:
        return False
    index = document.blocks.index(block)
    texts = [block.text] + [b.text for b in document.blocks[max(0, index - 1) : index] if b.kind != "heading"]
    return any(REPRODUCES.search(text) for text in texts)


def _commands(base: CodeBase) -> ItemVerdict | None:
    missing = None
    for document, command in readme_commands(base):
        if not command.runs_code or not command.target:
            continue
        script = command.target.lower().rsplit("/", 1)[-1]
        if script == "setup.py" or script.startswith("plot"):
            continue
        named = EVAL_NAME.search(script) and not script.startswith("test_")
        flagged = any(EVAL_ARGS.search(o) for o in option_names(command))
        sectioned = (
            in_section(command.block, EVAL_SECTION)
            and not in_section(command.block, NOT_EVAL_SECTION)
            and not TRAIN_NAME.search(script)
        )
        reproduces = _reproduces(document, command) and not TRAIN_NAME.search(script)
        if not (named or flagged or sectioned or reproduces):
            continue
        path = base.resolve(command.target)
        facts = base.facts_of(path) if path else None
        if facts is not None and is_unit_test(facts):
            continue
        if path:
            why = (
                "named for evaluation"
                if named
                else "with an evaluation option"
                if flagged
                else "in an evaluation section"
                if sectioned
                else "said to reproduce a table or results"
            )
            return ItemVerdict(
                ITEM, YES, command_evidence(document, command), f"README command runs {path} ({why})"
            )
        if missing is None:
            missing = ItemVerdict(
                ITEM,
                UNCLEAR,
                command_evidence(document, command),
                "README evaluation command runs a file not in the checkout",
            )
    return missing


def evaluates_by_name(facts: FileFacts) -> bool:
    """Named for evaluation; ``test_*`` (the unit-test convention) only when it loads a model or evaluates."""
    if not EVAL_NAME.search(facts.stem) or facts.kind == "config":
        return False
    return not facts.stem.startswith("test_") or bool(facts.loads or facts.eval_loop)


def _entry_points(base: CodeBase) -> ItemVerdict | None:
    entries = [f for f in base.facts if f.entry_point and not is_unit_test(f)]
    named = sorted((f for f in entries if evaluates_by_name(f)), key=lambda f: (f.path.count("/"), f.path))
    if named:
        best = named[0]
        return ItemVerdict(
            ITEM, YES, facts_evidence(best, best.entry_line, best.path), "entry point named for evaluation"
        )
    moded = [
        f for f in base.facts if f.eval_mode and not is_unit_test(f) and (f.entry_point or f.kind == "config")
    ]
    if moded:
        best = min(moded, key=lambda f: (f.kind == "config", f.path.count("/"), f.path))
        signal = best.eval_mode[0]
        return ItemVerdict(
            ITEM, YES, facts_evidence(best, signal.line, signal.what), "entry point with an evaluation mode"
        )
    return None


def _table_scripts(base: CodeBase) -> ItemVerdict | None:
    for document in base.docs:
        for block in document.blocks:
            if block.kind not in {"paragraph", "list_item", "table"} or not TABLE_REFERENCE.search(
                block.text
            ):
                continue
            for name in [*block.code_spans, *(m.group(0) for m in FILE_WORD.finditer(block.text))]:
                path = base.resolve(name)
                if (
                    path
                    and not TRAIN_NAME.search(path.rsplit("/", 1)[-1].lower())
                    and not path.endswith("setup.py")
                ):
                    return ItemVerdict(
                        ITEM,
                        YES,
                        block_evidence(document, block),
                        f"README names {path} as evaluating or producing results",
                    )
    return None


def judge(base: CodeBase) -> ItemVerdict:
    found = _commands(base)
    if found is not None and found.verdict == YES:
        return found
    found = _entry_points(base) or _table_scripts(base) or found
    if found is not None:
        return found
    loops = [f for f in base.facts if f.eval_loop and not is_unit_test(f)]
    if loops:
        best = min(loops, key=lambda f: (not f.entry_point, f.path))
        signal = best.eval_loop[0]
        return ItemVerdict(
            ITEM,
            UNCLEAR,
            facts_evidence(best, signal.line, signal.what),
            "evaluation only inside training code",
        )
    library = [
        f for f in base.facts if EVAL_NAME.search(f.stem) and not is_unit_test(f) and f.kind == "python"
    ]
    if library:
        return ItemVerdict(
            ITEM,
            UNCLEAR,
            facts_evidence(library[0], 1, library[0].path),
            "evaluation module that no entry point runs",
        )
    return ItemVerdict(ITEM, NO, note="no evaluation code")
