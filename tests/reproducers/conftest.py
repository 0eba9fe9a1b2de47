"""Tiny, real versions of the registered protocols: real MNIST images, real training, seconds not minutes."""

from __future__ import annotations

import dataclasses

import pytest

from reproducers import registry
from reproducers.registry.base import PaperSpec, Protocol


def tiny(protocol: Protocol, **changes: object) -> Protocol:
    """The protocol on 600/200/200 images of the offline subset with 40 iterations per training."""
    schedule = dataclasses.replace(protocol.schedule, iterations=40, eval_every=20, lr_milestones=(30,))
    base = {"name": "tiny", "dataset": "mnist5k", "split": (600, 200, 200), "schedule": schedule}
    base.update(changes)
    return dataclasses.replace(protocol, **base)


@pytest.fixture
def snip_spec() -> PaperSpec:
    spec = registry.get("B1VZqjAcYX")
    proto = tiny(spec.protocols["quick"], sparsities=(0.9, 0.95), random_sparsities=(0.95,))
    return dataclasses.replace(spec, protocols={**spec.protocols, "tiny": proto})


@pytest.fixture
def lth_spec() -> PaperSpec:
    spec = registry.get("rJl-b3RcF7")
    proto = tiny(spec.protocols["quick"], rounds=2, reinit_rounds=(2,))
    return dataclasses.replace(spec, protocols={**spec.protocols, "tiny": proto})
