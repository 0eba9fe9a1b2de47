"""Pipelines: chain crawlers, reproducers and reports into resumable commands.

Each public function here is one command of the CLI contract. They read and write the files of
DESIGN.md's data flow, so any step can be rerun alone.
"""
