"""audit: reproducibility auditing for published machine-learning research code.

The command line lives in :mod:`audit.cli`; the pipelines that chain crawlers, reproducers and
reports live in :mod:`audit.pipelines`; statistics for verdicts live in :mod:`core.stats`.
"""

__version__ = "0.1.0"
