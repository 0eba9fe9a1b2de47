"""Paper registry, experiment tree with provenance, pruning, models, datasets and runners.

Imports nothing from ``audit``. Expected errors carry an ``exit_code`` attribute (see ``reproducers.errors``).
"""
