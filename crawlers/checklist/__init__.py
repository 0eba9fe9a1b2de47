"""The ML Code Completeness Checklist (Papers with Code, ``paperswithcode/releasing-research-code``),
scored per code base from its checkout alone: nothing is run, imported, built or followed.

Modules, one job each:

- :mod:`.document`: a README as blocks (markdown-it-py for Markdown and plain text; HTML tables and
  links with the standard library's HTML parser); :mod:`.rst`: the same from reStructuredText (docutils).
- :mod:`.commands`: shell commands a README gives (program, script, options).
- :mod:`.code`: per file, with ``ast``: entry point, training and evaluation signals, URLs.
- :mod:`.codebase`: documentation, files, file facts and declared dependency files of one code base.
- :mod:`.items`: one rule per item (:mod:`.items.dependencies`, ``training``, ``evaluation``,
  ``pretrained``, ``results``), each ``judge(code_base) -> ItemVerdict``.
- :mod:`.score`: one code base → :class:`~.records.CodeBaseChecklist`; many in parallel processes.
- :mod:`.table`: ``checklist.csv``.
"""

from crawlers.checklist.codebase import DeclaredFile
from crawlers.checklist.records import ITEM_LABELS, ITEMS, CodeBaseChecklist, Evidence, ItemVerdict
from crawlers.checklist.score import ChecklistJob, score, score_many

__all__ = [
    "ITEMS",
    "ITEM_LABELS",
    "ChecklistJob",
    "CodeBaseChecklist",
    "DeclaredFile",
    "Evidence",
    "ItemVerdict",
    "score",
    "score_many",
]
