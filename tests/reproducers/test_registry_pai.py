"""The pruning-at-initialisation papers as registered: GraSP's reported numbers and "Missing the
Mark"'s sanity-check claims, their sources, verification flags, margins and protocols."""

from __future__ import annotations

from reproducers import registry
from reproducers.plans import count_trainings


def test_grasp_registers_its_cifar_table_as_mean_std_and_its_mnist_checkable_relation() -> None:
    spec = registry.get("2002.07376")
    assert spec.id == "SkgsACVKPH" and set(spec.protocols) == {"quick", "mnist", "paper"}
    table = {c.id: (c.reported, c.reported_std) for c in spec.claims if c.kind == "mean_std"}
    assert table["grasp-c10-vgg19-grasp-98"] == (92.19, 0.12)
    assert table["grasp-c10-resnet32-snip-98"] == (87.51, 0.31)
    assert len(table) == 12
    claims = {c.id: c for c in spec.claims}
    assert all(c.protocols == ("paper",) for c in spec.claims if c.kind in ("mean_std", "single"))
    # only the number checked against the paper is verified; the rest are [M]
    assert [c.id for c in spec.claims if c.kind == "mean_std" and c.verified] == ["grasp-c10-vgg19-grasp-98"]
    mnist = [c for c in spec.claims if c.protocols in (("quick",), ("mnist",))]
    assert {c.kind for c in mnist} == {"relation"} and all(
        c.source == "Abstract" and c.verified for c in mnist
    )
    assert claims["grasp-beats-snip-lenet5-99-mnist"].baseline == {
        "arm": "snip", "model": "lenet5_caffe", "target_sparsity": 0.99,
    }  # fmt: skip
    assert spec.protocols["paper"].dataset == "cifar10" and spec.protocols["mnist"].dataset == "mnist"
    assert (
        spec.protocols["quick"].samples_per_class == 10 and spec.protocols["quick"].grasp_temperature == 200
    )


def test_missing_the_mark_registers_every_sanity_check_for_every_method() -> None:
    spec = registry.get("missing-the-mark")
    assert spec.id == "Ig-VyQc-MLK" and spec.arxiv == "2009.08576"
    quick = {c.id: c for c in spec.claims if c.protocols == ("quick",)}
    assert sorted(quick) == sorted(
        f"mtm-q-{m}-{check}"
        for m in ("snip", "grasp", "synflow", "magnitude")
        for check in ("shuffle", "reinit", "invert", "beats-random")
    )
    assert quick["mtm-q-snip-invert"].direction == "less" and not quick["mtm-q-snip-invert"].verified
    # "the same or higher": inverting GraSP does not hurt, shuffling and reinitialising do not either
    assert quick["mtm-q-grasp-invert"].direction == "non_inferior"
    assert all(
        quick[f"mtm-q-{m}-{c}"].direction == "non_inferior"
        for m in ("snip", "synflow")
        for c in ("shuffle", "reinit")
    )
    shuffle = quick["mtm-q-synflow-shuffle"]
    assert shuffle.condition["arm"] == "synflow_shuffled" and shuffle.baseline["arm"] == "synflow"
    assert shuffle.verified and shuffle.delta == 1.0 and "Abstract" in shuffle.source
    paper = [c for c in spec.claims if c.protocols == ("paper",)]
    assert len(paper) == 32 and {c.condition["model"] for c in paper} == {"cifar_resnet_20", "cifar_vgg_16"}
    # the paper's curves put ablated and original masks within about a point: δ = 1 pp
    assert all(c.delta == 1.0 for c in paper if c.direction == "non_inferior")
    assert sum(c.direction == "non_inferior" for c in paper) == 18
    assert spec.protocols["paper"].dataset == "cifar10"
    assert count_trainings(spec.protocols["quick"]) == 18 and count_trainings(spec.protocols["paper"]) == 36
