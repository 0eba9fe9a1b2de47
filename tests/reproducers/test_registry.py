"""The paper registry: lookups, the unknown-id error, and claims that the protocols can actually judge."""

from __future__ import annotations

import hashlib
import json

import pytest

from reproducers import registry
from reproducers.errors import ReproductionUsageError
from reproducers.experiments import count_trainings


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rJl-b3RcF7", "rJl-b3RcF7"),
        ("1803.03635", "rJl-b3RcF7"),
        ("arXiv:1803.03635", "rJl-b3RcF7"),
        ("https://openreview.net/forum?id=B1VZqjAcYX", "B1VZqjAcYX"),
        ("B1VZqjAcYX", "B1VZqjAcYX"),
        ("1810.02340", "B1VZqjAcYX"),
        ("snip", "B1VZqjAcYX"),
    ],
)
def test_lookup_by_id_or_alias(name: str, expected: str) -> None:
    assert registry.get(name).id == expected


def test_unknown_id_is_a_usage_error_listing_the_registered_ids() -> None:
    with pytest.raises(ReproductionUsageError) as info:
        registry.get("XXXXXXXXXX")
    assert info.value.exit_code == 2
    assert "rJl-b3RcF7" in str(info.value) and "B1VZqjAcYX" in str(info.value)


def test_unknown_protocol_is_a_usage_error() -> None:
    with pytest.raises(ReproductionUsageError, match="known: quick, paper"):
        registry.get("snip").protocol("full")


def _arms(protocol) -> set[tuple]:
    """(arm, model, target_sparsity or round) combinations a protocol's plan produces."""
    if protocol.experiment == "pai":
        from reproducers.plans import branches

        return {("dense", m, 0.0) for m in protocol.models} | {
            (key[1], key[0], key[2]) for key, _ in branches(protocol) if len(key) == 3
        }
    if protocol.experiment == "snip":
        out = set()
        for model in protocol.models:
            out.add(("dense", model, 0.0))
            out |= {("snip", model, s) for s in protocol.sparsities}
            out |= {("random", model, s) for s in protocol.random_sparsities}
        return out
    out = {("dense", m, 0) for m in protocol.models}
    out |= {("imp", m, k) for m in protocol.models for k in range(1, protocol.rounds + 1)}
    out |= {("random_reinit", m, k) for m in protocol.models for k in protocol.reinit_rounds}
    return out


def _key(condition: dict, experiment: str) -> tuple:
    level = condition.get("target_sparsity", 0.0) if experiment in ("snip", "pai") else condition["round"]
    return (condition["arm"], condition["model"], level)


def test_every_claim_is_judgeable_under_its_protocols() -> None:
    for spec in registry.all_papers():
        ids = [claim.id for claim in spec.claims]
        assert len(ids) == len(set(ids))
        for claim in spec.claims:
            assert claim.source and claim.statement
            for name in claim.protocols:
                protocol = spec.protocols[name]
                arms = _arms(protocol)
                assert _key(claim.condition, protocol.experiment) in arms, (claim.id, name)
                if claim.kind == "relation":
                    assert claim.direction in ("greater", "less", "equivalent")
                    assert _key(claim.baseline, protocol.experiment) in arms, (claim.id, name)
                else:
                    assert claim.reported is not None


def test_registered_numbers() -> None:
    snip = {c.id: c for c in registry.get("snip").claims}
    assert {k: c.reported for k, c in snip.items() if c.kind == "single"} == {
        "snip-t1-lenet300-ref": 98.3,
        "snip-t1-lenet300-95": 98.4,
        "snip-t1-lenet300-98": 97.6,
        "snip-t1-lenet5-ref": 99.1,
        "snip-t1-lenet5-98": 99.2,
        "snip-t1-lenet5-99": 98.9,
    }
    assert not any(c.verified for c in snip.values())  # [M] until checked against the PDF
    assert all(c.protocols == ("paper",) for c in snip.values() if c.kind == "single")
    lth = {c.id: c for c in registry.get("lth").claims}
    assert lth["lth-ticket-21-beats-reinit"].protocols == ("quick", "paper")
    assert lth["lth-dense-just-over-98"].protocols == ("paper",)


def test_claim_hash_is_pinned_and_serialisable() -> None:
    """The pre-registration: editing a registered claim changes its paper's hash, and this test says so
    (update the pinned value deliberately, never to make the test pass)."""
    assert {spec.id: spec.claim_set().content_hash() for spec in registry.all_papers()} == {
        "rJl-b3RcF7": "b50e1e76aa644ed2736f95d058edf2d970eaaf2d34b90673579823bfd374d061",
        "B1VZqjAcYX": "df3df666a7db3d9a3a7d84966763dbc1cd9fdf81ce00d8f33f6b2a82c66223db",
        "SkgsACVKPH": "a953979006ff084d9fcb2617b0c24fc8011b24d67b43a8f50b3263646832c649",
        "Ig-VyQc-MLK": "cb6bb79c25b2633607955c9c060bc0a4dd6a365e10227a42818698790a0a0288",
    }
    claims = registry.get("snip").claim_set()
    body = json.loads(claims.to_json())
    assert body["paper_id"] == "B1VZqjAcYX" and len(body["claims"]) == 10
    assert claims.content_hash() == hashlib.sha256(claims.to_json().encode()).hexdigest()


def test_quick_protocols_stay_small() -> None:
    assert count_trainings(registry.get("lth").protocols["quick"]) == 10
    assert count_trainings(registry.get("snip").protocols["quick"]) == 6
    assert count_trainings(registry.get("snip").protocols["paper"]) == 14
