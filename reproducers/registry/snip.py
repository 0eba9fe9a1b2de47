"""SNIP: Single-shot Network Pruning based on Connection Sensitivity (Lee et al., ICLR 2019), MNIST.

The registration itself is data: ``papers/snip.yaml`` (identity, protocols, claims with their sources
and margins), validated by :mod:`reproducers.registry.schema`. This module keeps the Python names that
other code and tests use for it.
"""

from __future__ import annotations

from reproducers.registry.loader import load_builtin

SPEC = load_builtin("snip.yaml")
PAPER = SPEC.protocols["paper"]
QUICK = SPEC.protocols["quick"]
CLAIMS = SPEC.claims
LENET300 = "lenet_300_100"
LENET5 = "lenet5_caffe"
