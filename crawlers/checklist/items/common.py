"""What several item rules share: name patterns, section matching, evidence from README blocks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from crawlers.checklist.code import FileFacts
from crawlers.checklist.codebase import CodeBase
from crawlers.checklist.commands import Command, commands_in
from crawlers.checklist.document import Block, Document
from crawlers.checklist.records import Evidence, snippet

TRAIN_NAME = re.compile(r"train|(^|_)fit|finetune|fine_tune|pretrain|(^|_)learn")
EVAL_NAME = re.compile(
    r"eval|(^|_)test|infer|predict|validat|attack|(^|_)score|reproduce|table\d|results?_table|accuracy|metric"
)
TRAIN_SECTION = re.compile(
    r"\btrain|\bfine-?tun|\bpre-?train|\blearning\b|run (an |the )?experiments?|\busage\b|how to run|"
    r"quick ?start|getting started|\brun\b",
    re.I,
)
EVAL_SECTION = re.compile(
    r"\beval|\btest|\binference|\breproduc|\battack|\bpredict|\baccuracy|\bmetrics?\b", re.I
)
#: Sections about unit tests or plots, whose commands are not evaluation.
NOT_EVAL_SECTION = re.compile(r"unit ?tests?|running tests|\btests\b|plot|visuali[sz]|train", re.I)
TRAIN_ARGS = re.compile(
    r"(^|_)(n_?)?epochs?($|_)|^lr$|learning.?rate|train.?steps|num.?iter|total_frames|num_timesteps"
)
EVAL_ARGS = re.compile(
    r"^(eval|evaluate|evaluation|test|testing|inference|predict|(eval|test)_?only|do_?(eval|test)|is_?test)$|(^|_)(meta_)?test$|^eval(uate)?$"
)
#: Folders whose ``test_*.py`` are unit tests, not evaluation scripts.
TEST_DIRS = {"test", "tests", "testing", "unittests", "unit_tests"}


#: Test-suite runners and modules (``run_tests.py``, ``tests.py``, ``conftest.py``).
TEST_SUITE = re.compile(r"(^|_)tests$|^conftest$|unittest")


def is_unit_test(facts: FileFacts) -> bool:
    parts = {p.lower() for p in PurePosixPath(facts.path).parts[:-1]}
    return facts.unit_test or bool(parts & TEST_DIRS) or bool(TEST_SUITE.search(facts.stem))


def readme_commands(base: CodeBase) -> Iterator[tuple[Document, Command]]:
    """Every command of every document, the README's first."""
    for document in base.docs:
        for command in commands_in(document):
            yield document, command


def command_evidence(document: Document, command: Command) -> Evidence:
    block = command.block
    return Evidence(
        file=document.path,
        line=command.line,
        section=block.section_title if block else "",
        snippet=snippet(command.text),
    )


def block_evidence(document: Document, block: Block, *, text: str | None = None, link: str = "") -> Evidence:
    return Evidence(
        file=document.path,
        line=block.line,
        section=block.section_title,
        snippet=snippet(block.text if text is None else text),
        link=link,
    )


def facts_evidence(facts: FileFacts, line: int, what: str) -> Evidence:
    return Evidence(file=facts.path, line=line, snippet=snippet(what), cell=facts.kind == "notebook")


def in_section(block: Block | None, pattern: re.Pattern[str]) -> bool:
    return bool(block and any(pattern.search(title) for title in block.section))


def option_names(command: Command) -> list[str]:
    names = []
    for index, arg in enumerate(command.args):
        if arg.startswith("-"):
            name, _, value = arg.lstrip("-").partition("=")
            names.append(name.replace("-", "_").lower())
            if value:
                names.append(value.lower())
            elif name in {"mode", "phase", "stage"} and index + 1 < len(command.args):
                names.append(command.args[index + 1].strip("'\"").lower())
    return names
