"""core: what several packages share, so that none of them needs to import another.

Statistics (:mod:`core.stats`), the claim and run-file contract (:mod:`core.claims`), checkouts of
untrusted repositories (:mod:`core.checkout`), atomic output files (:mod:`core.atomic`) and the error
protocol (:mod:`core.errors`). It imports none of ``audit``, ``crawlers``, ``reproducers``, ``reports``.
"""
