"""Dependency inference on real git repositories with the messy layouts research code has."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipreqs import pipreqs

from crawlers.dependencies.imports import scan_imports
from crawlers.dependencies.infer import Job, RepoReport, infer_many, infer_repository
from crawlers.dependencies.local import local_module_names
from tests.crawlers import messy_repos as repos
from tests.crawlers.repo_factory import make_repo


def _pairs(report: RepoReport) -> set[tuple[str, str]]:
    return {(d.package, d.source) for d in report.dependencies}


def _row(report: RepoReport, package: str, source: str):
    (row,) = [d for d in report.dependencies if d.package == package and d.source == source]
    return row


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RepoReport]:
    checkout, _ = make_repo(tmp_path_factory.mktemp("messy") / "repo", repos.MESSY)
    return checkout, infer_repository("https://github.com/alice/messy", checkout)


def test_messy_repository_gives_exactly_the_expected_packages(messy: tuple[Path, RepoReport]) -> None:
    checkout, report = messy
    assert report.status == "ok", report.error
    assert _pairs(report) == repos.MESSY_EXPECTED
    assert not (checkout / "EXECUTED").exists(), "setup.py must be parsed, never run"


def test_messy_specifiers_and_evidence(messy: tuple[Path, RepoReport]) -> None:
    _, report = messy
    assert _row(report, "numpy", "requirements.txt").specifier == "==1.18.1"
    assert _row(report, "numpy", "requirements.txt").evidence == "requirements.txt:2"
    torch = _row(report, "torch", "requirements.txt")
    assert (torch.specifier, torch.evidence) == ('>=1.4; python_version >= "3.6"', "requirements.txt:5")
    assert _row(report, "tensorflow-gpu", "requirements.txt").specifier == "==1.14"
    assert _row(report, "pillow", "requirements.txt").specifier == "<7,>=6.0"
    assert _row(report, "tqdm", "requirements.txt").evidence == "requirements/extra.txt:1"
    assert _row(report, "scipy", "setup.py").specifier == ">=1.3"
    assert _row(report, "h5py", "setup.py").evidence == "setup.py:8"
    assert _row(report, "pytest", "setup.py").optional is True
    assert _row(report, "einops", "notebook").specifier == "==0.3.0"
    assert _row(report, "einops", "notebook").evidence == "notebooks/demo.ipynb:cell1"
    assert _row(report, "scikit-image", "imports").evidence == "legacy/py2_eval.py:4"
    assert _row(report, "pandas", "imports").evidence == "legacy/latin1.py:3"
    assert _row(report, "opencv-python-headless", "imports").name == "cv2"
    assert _row(report, "google-cloud-storage", "imports").evidence == "train.py:9"


def test_messy_signals(messy: tuple[Path, RepoReport]) -> None:
    _, report = messy
    signals = report.signals
    assert signals["declared_files"] == "requirements.txt;setup.py;requirements/extra.txt"
    assert signals["python_version"] == "==3.6;>=3.6"
    assert signals["n_declared"] == 15
    assert signals["n_pinned"] == 4  # numpy, tensorflow-gpu, opencv-python-headless, einops
    assert signals["n_unparsed_files"] == 2
    assert signals["unparsed_files"] == "legacy/py2_eval.py;notebooks/demo.ipynb"
    assert signals["imported_undeclared"].split(";") == [
        "absl-py",
        "apex",
        "attrs",
        "google-cloud-storage",
        "keras",
        "pandas",
        "protobuf",
        "pyyaml",
        "scikit-image",
        "seaborn",
        "torchvision",
        "wandb",
    ]  # tensorflow and cv2 are declared as tensorflow-gpu and opencv-python-headless
    assert (signals["n_python_files"], signals["n_notebooks"]) == (9, 1)
    assert report.frameworks == {
        "pytorch": True,
        "tensorflow": True,
        "keras": True,
        "jax": False,
        "mxnet": False,
        "theano": False,
        "chainer": False,
        "paddlepaddle": False,
    }


def test_local_module_rule(messy: tuple[Path, RepoReport]) -> None:
    checkout, _ = messy
    local = local_module_names(checkout)
    assert {"models", "utils", "train", "legacy", "dnnlib"} <= local  # dnnlib: empty submodule folder
    assert "keras" not in local  # a vendored copy of a big library still means the library is used
    assert "wandb" not in local  # wandb/ holds run logs, no Python


def test_pipreqs_whole_tree_scan_aborts_where_ours_continues(messy: tuple[Path, RepoReport]) -> None:
    """The reason imports are read file by file: pipreqs' tree scan raises on the Python 2 file."""
    checkout, _ = messy
    with pytest.raises(SyntaxError):
        pipreqs.get_all_imports(str(checkout), follow_links=False)
    assert "skimage" in scan_imports(checkout).modules


def test_pyproject_pep621_and_poetry(tmp_path: Path) -> None:
    checkout, _ = make_repo(tmp_path / "repo", repos.PYPROJECT)
    report = infer_repository("https://github.com/bob/proj", checkout)
    got = {(d.package, d.source, d.specifier, d.optional) for d in report.dependencies}
    assert got == repos.PYPROJECT_EXPECTED
    assert report.signals["python_version"] == ">=3.8;^3.8"
    assert report.frameworks["jax"] and not report.frameworks["pytorch"]


def test_conda_pipfile_dockerfile(tmp_path: Path) -> None:
    checkout, _ = make_repo(tmp_path / "repo", repos.CONDA)
    report = infer_repository("https://github.com/carol/rl", checkout)
    got = {(d.package, d.source, d.specifier) for d in report.dependencies}
    assert got == repos.CONDA_EXPECTED  # python, pip and cudatoolkit are not packages
    assert report.signals["python_version"] == "3.7;==3.7.6"
    assert report.signals["has_dockerfile"] is True and report.signals["has_pipfile"] is True
    assert report.signals["has_environment_file"] is True and report.signals["has_requirements"] is False
    assert _row(report, "torch", "environment.yml").name == "pytorch"
    assert _row(report, "tensorboardx", "Dockerfile").evidence == "docker/Dockerfile:2"


def test_monorepo_sub_folder_only(tmp_path: Path) -> None:
    checkout, _ = make_repo(tmp_path / "repo", repos.MONOREPO)
    report = infer_repository("https://github.com/google-research/google-research", checkout, "cfq")
    assert _pairs(report) == repos.MONOREPO_CFQ_EXPECTED
    assert _row(report, "tensorflow", "requirements.txt").evidence == "cfq/requirements.txt:1"
    whole = infer_repository("https://github.com/google-research/google-research", checkout, "")
    assert ("django", "requirements.txt") in _pairs(whole) and ("torch", "imports") in _pairs(whole)
    missing = infer_repository("https://github.com/google-research/google-research", checkout, "nope")
    assert missing.status == "subpath_missing" and _pairs(missing) == _pairs(whole)


def test_symlinks_out_of_the_checkout_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("import leaked_package\n")
    (outside / "requirements.txt").write_text("leaked-requirement\n")
    checkout, _ = make_repo(
        tmp_path / "repo",
        {"main.py": "import numpy\n"},
        symlinks={
            "linked_dir": str(outside),
            "linked.py": str(outside / "secret.py"),
            "requirements.txt": str(outside / "requirements.txt"),
        },
    )
    report = infer_repository("https://github.com/eve/links", checkout)
    assert _pairs(report) == {("numpy", "imports")}
    assert report.signals["n_python_files"] == 1


def test_missing_checkout_and_parallel_order(tmp_path: Path) -> None:
    one, _ = make_repo(tmp_path / "one", {"a.py": "import torch\n"})
    two, _ = make_repo(tmp_path / "two", {"b.py": "import tensorflow\n"})
    jobs = [
        Job("https://github.com/o/one", "", str(one)),
        Job("https://github.com/o/gone", "", str(tmp_path / "gone")),
        Job("https://github.com/o/two", "", str(two)),
    ]
    calls: list[tuple[int, int]] = []
    reports = infer_many(jobs, workers=2, progress=lambda done, total, _msg: calls.append((done, total)))
    assert [r.repo_url for r in reports] == [j.repo_url for j in jobs]
    assert [r.status for r in reports] == ["ok", "missing_checkout", "ok"]
    assert reports[0].used_packages == ["torch"] and reports[2].used_packages == ["tensorflow"]
    assert calls[-1] == (3, 3)
