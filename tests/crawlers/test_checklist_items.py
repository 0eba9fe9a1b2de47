"""Each checklist item's yes / unclear / no on repositories built for it (real git, real parsers).

Every expected verdict and evidence location follows from the files written in the test.
"""

from __future__ import annotations

from pathlib import Path

from crawlers.checklist import DeclaredFile
from tests.crawlers.checklist_repos import TRAIN_LOOP, build, verdict

# ------------------------------------------------------------------ item 1: dependencies


def test_dependencies_yes_from_a_declared_file_uses_the_first_declared_line(tmp_path: Path) -> None:
    declared = (DeclaredFile("requirements.txt", "requirements.txt", "requirements.txt:2", 2),)
    result = build(tmp_path, {"requirements.txt": "# pinned\ntorch==2.0\nnumpy\n"}, declared=declared)
    assert verdict(result, "dependencies") == ("yes", "requirements.txt:2")
    assert result.items["dependencies"].note == "declared file found by audit deps"


def test_dependencies_yes_from_a_dockerfile_that_installs_nothing_with_pip(tmp_path: Path) -> None:
    declared = (DeclaredFile("docker/Dockerfile", "Dockerfile", "", 0),)
    result = build(tmp_path, {"docker/Dockerfile": "FROM pytorch/pytorch:1.4-cuda10.1\n"}, declared=declared)
    assert verdict(result, "dependencies") == ("yes", "docker/Dockerfile")


def test_dependencies_yes_from_readme_install_commands(tmp_path: Path) -> None:
    readme = (
        "# Tool\n\n## Setup\n\n```bash\nconda create -n env python=3.7\npip install torch==1.4 gym\n```\n"
    )
    result = build(tmp_path, {"README.md": readme})
    assert verdict(result, "dependencies") == ("yes", "README.md:7")
    assert result.items["dependencies"].evidence.section == "Tool › Setup"
    assert result.items["dependencies"].evidence.snippet == "pip install torch==1.4 gym"


def test_dependencies_yes_when_the_readme_installs_from_a_file(tmp_path: Path) -> None:
    result = build(tmp_path, {"README.md": "Install:\n\n    $ pip install -r requirements.txt\n"})
    assert verdict(result, "dependencies") == ("yes", "README.md:3")
    assert result.items["dependencies"].note == "README installs from a declaration file"


def test_dependencies_unclear_for_a_prose_list_of_packages(tmp_path: Path) -> None:
    readme = "# X\n\n## Requirements\n\n- Python 3.6\n- PyTorch 1.0\n- numpy\n"
    result = build(tmp_path, {"README.md": readme})
    assert verdict(result, "dependencies") == ("unclear", "README.md:5")


def test_dependencies_unclear_for_a_single_installed_package(tmp_path: Path) -> None:
    result = build(tmp_path, {"README.md": "Run `pip install jupyter` first.\n"})
    assert verdict(result, "dependencies") == ("unclear", "README.md:1")


def test_dependencies_unclear_for_an_empty_requirements_file(tmp_path: Path) -> None:
    declared = (DeclaredFile("requirements.txt", "requirements.txt", "", 0),)
    result = build(tmp_path, {"requirements.txt": "# nothing yet\n"}, declared=declared)
    assert verdict(result, "dependencies") == ("unclear", "requirements.txt")


def test_dependencies_no(tmp_path: Path) -> None:
    result = build(tmp_path, {"model.py": "x = 1\n", "README.md": "# A model\n\nSee the paper.\n"})
    assert verdict(result, "dependencies") == ("no", "")


# ------------------------------------------------------------------ item 2: training


def test_training_yes_for_an_entry_point_with_an_optimiser_step(tmp_path: Path) -> None:
    result = build(tmp_path, {"src/train.py": TRAIN_LOOP})
    assert verdict(result, "training") == ("yes", "src/train.py:9")  # torch.optim.SGD(...)
    assert result.items["training"].note == "entry point that trains"


def test_training_yes_for_a_readme_command_whose_script_imports_the_trainer(tmp_path: Path) -> None:
    files = {
        "README.md": "# M\n\n## Usage\n\n```\npython run.py --config a.yaml\n```\n",
        "run.py": "from lib.engine import fit_all\n\nif __name__ == '__main__':\n    fit_all()\n",
        "lib/__init__.py": "",
        "lib/engine.py": "def fit_all(model, data):\n    model.fit(data)\n",
    }
    result = build(tmp_path, files)
    assert verdict(result, "training") == ("yes", "README.md:6")
    assert result.items["training"].note == "README command runs run.py; run.py: fit_all()"


def test_training_unclear_for_library_code_that_nothing_runs(tmp_path: Path) -> None:
    files = {
        "pkg/solver.py": (
            "class Solver:\n    def update(self, opt, loss):\n        loss.backward()\n        opt.step()\n"
        )
    }
    result = build(tmp_path, files)
    assert verdict(result, "training") == ("unclear", "pkg/solver.py:4")


def test_training_unclear_for_a_readme_command_whose_script_is_missing(tmp_path: Path) -> None:
    result = build(tmp_path, {"README.md": "```\npython train.py --lr 0.1\n```\n"})
    assert verdict(result, "training") == ("unclear", "README.md:2")


def test_training_no_for_gradients_alone_as_in_a_saliency_script(tmp_path: Path) -> None:
    saliency = (
        "import torch\nx = torch.zeros(3, requires_grad=True)\n(x * 2).sum().backward()\nprint(x.grad)\n"
    )
    result = build(tmp_path, {"saliency.py": saliency})
    assert verdict(result, "training") == ("no", "")


# ------------------------------------------------------------------ item 3: evaluation


def test_evaluation_yes_for_an_eval_script(tmp_path: Path) -> None:
    evaluate = (
        "import torch\n\nif __name__ == '__main__':\n    model = torch.load('m.pt')\n    model.eval()\n"
    )
    result = build(tmp_path, {"train.py": TRAIN_LOOP, "eval.py": evaluate})
    assert verdict(result, "evaluation") == ("yes", "eval.py:3")


def test_evaluation_yes_for_an_evaluation_option(tmp_path: Path) -> None:
    main = TRAIN_LOOP.replace(
        "    parser.add_argument('--epochs', type=int, default=10)\n",
        "    parser.add_argument('--epochs', type=int, default=10)\n"
        "    parser.add_argument('-e', '--evaluate', action='store_true', help='evaluate on the test set')\n",
    )
    result = build(tmp_path, {"main.py": main})
    assert verdict(result, "evaluation") == ("yes", "main.py:7")


def test_evaluation_yes_for_a_readme_line_naming_the_script_of_a_table(tmp_path: Path) -> None:
    files = {
        "README.md": "# R\n\n- Table 1: `make_table.py`\n",
        "make_table.py": "print(1)\n",
        "train.py": TRAIN_LOOP,
    }
    result = build(tmp_path, files)
    assert verdict(result, "evaluation") == ("yes", "README.md:3")


def test_evaluation_unclear_when_only_the_training_loop_evaluates(tmp_path: Path) -> None:
    loop = TRAIN_LOOP.replace("        optimizer.step()\n", "        optimizer.step()\n    model.eval()\n")
    result = build(tmp_path, {"train.py": loop})
    assert verdict(result, "evaluation") == ("unclear", "train.py:14")


def test_evaluation_ignores_unit_tests(tmp_path: Path) -> None:
    test = (
        "import pytest\n\ndef test_shape():\n    assert 1 == 1\n\n"
        "if __name__ == '__main__':\n    pytest.main()\n"
    )
    result = build(tmp_path, {"train.py": TRAIN_LOOP, "tests/test_model.py": test})
    assert verdict(result, "evaluation") == ("no", "")


# ------------------------------------------------------------------ item 4: pre-trained models


def test_pretrained_yes_for_hubconf(tmp_path: Path) -> None:
    hubconf = "dependencies = ['torch']\n\ndef resnet(pretrained=False):\n    return None\n"
    assert verdict(build(tmp_path, {"hubconf.py": hubconf}), "pretrained") == ("yes", "hubconf.py:1")


def test_pretrained_yes_for_weights_linked_only_from_a_release(tmp_path: Path) -> None:
    readme = "# M\n\n## Models\n\nPre-trained weights are attached to the [v1.0 release](https://github.com/owner/repo/releases/tag/v1.0).\n"
    result = build(tmp_path, {"README.md": readme})
    assert verdict(result, "pretrained") == ("yes", "README.md:5")
    assert result.items["pretrained"].evidence.link == "https://github.com/owner/repo/releases/tag/v1.0"


def test_pretrained_yes_for_a_drive_link_introduced_by_the_previous_sentence(tmp_path: Path) -> None:
    readme = "## Downloads\n\nWe provide our trained models:\n\n- [CIFAR-10](https://drive.google.com/file/d/abc/view)\n"
    result = build(tmp_path, {"README.md": readme})
    assert verdict(result, "pretrained") == ("yes", "README.md:5")


def test_pretrained_yes_for_committed_checkpoints(tmp_path: Path) -> None:
    result = build(tmp_path, {"checkpoints/cifar/model_best": b"\x00weights", "README.md": "# M\n"})
    assert verdict(result, "pretrained") == ("yes", "checkpoints/cifar/model_best")


def test_pretrained_yes_for_a_download_command(tmp_path: Path) -> None:
    readme = (
        "First get the weights:\n\n```\nwget https://example.org/files/resnet50_ours.pth -P models/\n```\n"
    )
    result = build(tmp_path, {"README.md": readme})
    assert verdict(result, "pretrained") == ("yes", "README.md:4")


def test_pretrained_unclear_when_offered_without_a_link(tmp_path: Path) -> None:
    result = build(tmp_path, {"README.md": "Pre-trained models are available upon request.\n"})
    assert verdict(result, "pretrained") == ("unclear", "README.md:1")


def test_pretrained_no_when_announced_as_coming_soon(tmp_path: Path) -> None:
    result = build(
        tmp_path, {"README.md": "## Pretrained models\n\nComing soon.\n\nPretrained weights: coming soon\n"}
    )
    assert verdict(result, "pretrained") == ("no", "README.md:5")


def test_pretrained_no_for_a_dataset_on_google_drive(tmp_path: Path) -> None:
    readme = "Download the dataset from [Google Drive](https://drive.google.com/file/d/xyz/view).\n"
    assert verdict(build(tmp_path, {"README.md": readme}), "pretrained") == ("no", "")


# ------------------------------------------------------------------ item 5: results

RESULTS_TABLE = "| Model | Top-1 (%) |\n| --- | ---: |\n| ResNet-50 | 76.1 |\n| Ours | 77.9±0.2 |\n"


def test_results_yes_for_a_table_with_a_command(tmp_path: Path) -> None:
    readme = (
        f"# M\n\n## Results\n\n{RESULTS_TABLE}\n## Reproduce\n\n```\npython eval.py --ckpt ours.pth\n```\n"
    )
    result = build(tmp_path, {"README.md": readme})
    assert verdict(result, "results") == ("yes", "README.md:5")
    assert result.items["results"].evidence.snippet == "ResNet-50 | 76.1"
    assert result.items["results"].evidence.section == "M › Results"


def test_results_unclear_for_a_table_without_a_command(tmp_path: Path) -> None:
    result = build(tmp_path, {"README.md": f"# M\n\n## Results\n\n{RESULTS_TABLE}"})
    assert verdict(result, "results") == ("unclear", "README.md:5")
    assert result.items["results"].note == "results table without a command that produces it"


def test_results_unclear_for_a_figure_with_commands(tmp_path: Path) -> None:
    readme = "## Results\n\n![Results](figures/results.png)\n\n```\npython train.py\n```\n"
    result = build(tmp_path, {"README.md": readme})
    assert verdict(result, "results") == ("unclear", "README.md:3")


def test_results_no_for_a_table_of_options(tmp_path: Path) -> None:
    readme = (
        "| Argument | Default |\n| --- | --- |\n| lr | 0.1 |\n| epochs | 200 |\n\n```\npython train.py\n```\n"
    )
    assert verdict(build(tmp_path, {"README.md": readme}), "results") == ("no", "")


def test_results_yes_for_an_html_table(tmp_path: Path) -> None:
    readme = (
        "<table>\n<tr><th>Dataset</th><th>Accuracy (%)</th></tr>\n"
        "<tr><td>MNIST</td><td>98.89</td></tr>\n</table>\n\n"
        "    python attack.py --model m.ckpt\n"
    )
    result = build(tmp_path, {"README.md": readme})
    assert verdict(result, "results") == ("yes", "README.md:1")


def test_results_yes_in_restructuredtext(tmp_path: Path) -> None:
    readme = (
        "Model\n=====\n\nResults\n-------\n\n"
        "+--------+----------+\n| model  | accuracy |\n+========+==========+\n"
        "| ours   | 95.1     |\n+--------+----------+\n\n"
        ".. code-block:: bash\n\n    python train.py --epochs 10\n"
    )
    result = build(tmp_path, {"README.rst": readme})
    assert verdict(result, "results") == ("yes", "README.rst:7")
    assert result.readme_format == "rst"
    assert verdict(result, "training") == ("unclear", "README.rst:15")  # the command's script is not there


def test_results_no_without_a_readme(tmp_path: Path) -> None:
    result = build(tmp_path, {"train.py": TRAIN_LOOP})
    assert verdict(result, "results") == ("no", "")
    assert result.readme == ""
