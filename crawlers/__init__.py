"""Facts from the outside world: OpenReview papers and code links, clones, inferred dependencies.

Imports nothing from ``audit``. Expected errors carry an ``exit_code`` attribute (see ``crawlers.errors``).
"""
