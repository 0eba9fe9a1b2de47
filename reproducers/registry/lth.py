"""The Lottery Ticket Hypothesis (Frankle & Carbin, ICLR 2019), LeNet-300-100 on MNIST.

The registration itself is data: ``papers/lth.yaml`` (identity, protocols, claims with their sources
and margins), validated by :mod:`reproducers.registry.schema`. This module keeps the Python names that
other code and tests use for it.
"""

from __future__ import annotations

from reproducers.registry.loader import load_builtin

SPEC = load_builtin("lth.yaml")
PAPER = SPEC.protocols["paper"]
QUICK = SPEC.protocols["quick"]
CLAIMS = SPEC.claims
MODEL = "lenet_300_100"
RATES = dict(PAPER.prune_rates)
