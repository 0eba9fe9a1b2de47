"""One module per checklist item; each has ``judge(code_base) -> ItemVerdict``.

The rules are documented in docs/checklist.md (what counts as yes, unclear and no for each item, and
why) and validated against hand labels in docs/benchmarks.md.
"""
