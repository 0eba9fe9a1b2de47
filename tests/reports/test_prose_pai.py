"""The methodology prose of a pruning-at-initialisation protocol, from its recorded config."""

from __future__ import annotations

from reports.reproduction.prose import data_text, models_text, pruning_text
from reproducers import registry


def test_missing_the_mark_quick_names_methods_checks_and_control() -> None:
    config = registry.get("missing-the-mark").protocols["quick"].to_dict()
    assert pruning_text(config) == (
        "Pruning at initialisation: the masks of SNIP, GraSP, SynFlow and magnitude pruning are computed "
        "before training, globally, at 95% sparsity; sanity checks of each method's mask: the mask shuffled "
        "within each layer, new initial weights under the mask and the inverted scores. Control: random "
        "masks of the same sparsity (95%), trained the same way."
    )


def test_grasp_paper_names_the_cifar_networks_and_data() -> None:
    config = registry.get("grasp").protocols["paper"].to_dict()
    assert pruning_text(config) == (
        "Pruning at initialisation: the masks of GraSP and SNIP are computed before training, globally, "
        "at 90/95/98% sparsity."
    )
    assert models_text(config, runs=None).startswith("VGG-19 for 32×32 images") and "Kaiming" in models_text(
        config, runs=None
    )
    assert data_text(config).startswith("CIFAR-10 (50,000 training and 10,000 test images") and (
        "45,000 training, 5,000 validation and 10,000 test images" in data_text(config)
    )
