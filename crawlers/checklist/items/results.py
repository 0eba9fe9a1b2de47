"""Item 5, a README with a table of results and the precise commands that produce them.

Only the code base's README counts (the checklist names it). A *results table* is a Markdown, HTML or
reStructuredText table with a number in a body row (``95.2``, ``85%``, ``96.63±0.13``) that is not a
table of options, files or package versions (header words such as *argument*, *option*, *default*,
*script*, *package*, *version*).

- **yes**: a results table and at least one command in the README that runs the code;
- **unclear**: a results table without any command; results only as a figure (an image in a *Results*
  section or named like one) or as numbers in prose, with commands;
- **no**: no results table, figure or reported number in the README (or no README).
"""

from __future__ import annotations

import re

from crawlers.checklist.codebase import CodeBase
from crawlers.checklist.commands import Command, commands_in
from crawlers.checklist.document import Block
from crawlers.checklist.items.common import block_evidence
from crawlers.checklist.records import NO, UNCLEAR, YES, ItemVerdict

ITEM = "results"
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(\.\d+)?\s*(%|±|\+-|\+/-)?")
VERSION = re.compile(r"^\s*v?\d+\.\d+\.\d+|^\s*(19|20)\d\d\s*$")
NOT_RESULTS = re.compile(
    r"\b(arg(ument)?s?|options?|flags?|param(eter)?s?|defaults?|descriptions?|scripts?|files?|functionality|"
    r"packages?|versions?|librar(y|ies)|requirements?|dependenc(y|ies)|commands?|usage|help|type)\b",
    re.I,
)
RESULT_WORDS = re.compile(
    r"\b(results?|accuracy|performance|error|score|auc|bleu|fid|psnr|top-?1|achieves?|obtained|reported)\b",
    re.I,
)
RESULT_IMAGE = re.compile(r"result|table|accuracy|performance|curve|plot|comparison", re.I)


def _numeric(cell: str) -> bool:
    text = cell.strip().strip("*_ ")
    return (
        bool(text)
        and not VERSION.search(text)
        and bool(
            NUMBER.fullmatch(text)
            or re.search(r"\d+(\.\d+)?\s*(%|±)", text)
            or re.fullmatch(r"[-+]?\d+\.\d+\s*(\(.*\))?", text)
        )
    )


def is_results_table(block: Block) -> bool:
    if block.kind != "table" or len(block.rows) < 2:
        return False
    header = " ".join(block.rows[0])
    if NOT_RESULTS.search(header) and not RESULT_WORDS.search(header):
        return False
    return any(_numeric(cell) for row in block.rows[1:] for cell in row)


RUN_WORD = re.compile(r"\b(run|execute|launch)\b", re.I)


def _named_scripts(base: CodeBase) -> list[Command]:
    """``run `scripts/run.sh` `` in prose: a code span naming a script of the code base next to "run"."""
    found = []
    readme = base.readme
    for block in readme.blocks if readme else ():
        if block.kind not in {"paragraph", "list_item"} or not RUN_WORD.search(block.text):
            continue
        for span in block.code_spans:
            if span.endswith((".sh", ".py", ".ipynb")) and base.resolve(span):
                found.append(Command(span, "script", span, (), block.line, block))
    return found


def judge(base: CodeBase) -> ItemVerdict:
    readme = base.readme
    if readme is None:
        return ItemVerdict(ITEM, NO, note="no README")
    runs = [c for c in commands_in(readme) if c.runs_code] + _named_scripts(base)
    tables = [b for b in readme.blocks if is_results_table(b)]
    if tables and runs:
        table = tables[0]
        row = next((" | ".join(r) for r in table.rows[1:] if any(_numeric(c) for c in r)), table.text)
        note = f"results table and {len(runs)} command(s), e.g. line {runs[0].line}: {runs[0].text[:60]}"
        return ItemVerdict(ITEM, YES, block_evidence(readme, table, text=row), note)
    if tables:
        return ItemVerdict(
            ITEM,
            UNCLEAR,
            block_evidence(readme, tables[0]),
            "results table without a command that produces it",
        )
    if runs:
        for block in readme.blocks:
            titled = any(re.search(r"\bresults?\b|performance|benchmark", t, re.I) for t in block.section)
            named = [src for src in block.images if RESULT_IMAGE.search(src.rsplit("/", 1)[-1])]
            if (titled and block.images) or named:
                image = (named or list(block.images))[0]
                return ItemVerdict(
                    ITEM, UNCLEAR, block_evidence(readme, block, link=image), "results only as a figure"
                )
            if (
                block.kind in {"paragraph", "list_item"}
                and RESULT_WORDS.search(block.text)
                and re.search(r"\d+\.\d+\s*%|\d+\s*%", block.text)
            ):
                return ItemVerdict(
                    ITEM, UNCLEAR, block_evidence(readme, block), "results only as numbers in prose"
                )
    return ItemVerdict(ITEM, NO, note="no results table in the README")
