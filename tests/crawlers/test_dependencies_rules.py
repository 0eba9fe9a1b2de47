"""Unit rules: requirement strings, import→distribution mapping, framework classification."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipreqs import pipreqs

from crawlers.dependencies.aliases import import_to_package
from crawlers.dependencies.declared import parse_requirement, parse_requirements_file, pip_install_arguments
from crawlers.dependencies.frameworks import FRAMEWORK_NAMES, frameworks_of
from crawlers.dependencies.imports import imports_from_regex
from crawlers.dependencies.mapping import declared_to_package, is_stdlib, normalise


@pytest.mark.parametrize(
    ("module", "package"),
    [
        ("sklearn.metrics", "scikit-learn"),
        ("cv2", "opencv-python"),
        ("skimage", "scikit-image"),
        ("attr", "attrs"),
        ("absl.flags", "absl-py"),
        ("yaml", "pyyaml"),
        ("PIL.Image", "pillow"),
        ("google.protobuf.text_format", "protobuf"),
        ("google.cloud.storage", "google-cloud-storage"),
        ("google.cloud.bigquery.client", "google-cloud-bigquery"),
        ("tensorflow_datasets", "tensorflow-datasets"),
        ("haiku", "dm-haiku"),
        ("paddle", "paddlepaddle"),
        ("bs4", "beautifulsoup4"),  # from pipreqs' table
        ("torch.nn.functional", "torch"),
        ("tensorboardX", "tensorboardx"),
    ],
)
def test_import_to_package(module: str, package: str) -> None:
    assert import_to_package(module) == package


@pytest.mark.parametrize("module", ["models", "src", "utils", "google", "google.colab", "tf", "setuptools"])
def test_imports_that_are_no_distribution_are_dropped(module: str) -> None:
    assert import_to_package(module) is None


@pytest.mark.parametrize("module", ["bs4", "dateutil", "Crypto", "serial", "requests", "seaborn", "OpenGL"])
def test_without_override_pipreqs_table_decides(module: str) -> None:
    """Where we add nothing, the answer is pipreqs' own get_pkg_names, PEP 503 normalised."""
    assert import_to_package(module) == normalise(pipreqs.get_pkg_names([module])[0])


def test_stdlib_includes_python2_names() -> None:
    assert is_stdlib("os.path") and is_stdlib("cPickle") and is_stdlib("urllib2") and is_stdlib("__future__")
    assert not is_stdlib("numpy")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("numpy==1.18.1", ("numpy", "==1.18.1")),
        ("torch>=1.4 ; python_version >= '3.6'", ("torch", '>=1.4; python_version >= "3.6"')),
        ("tensorflow-gpu=1.14", ("tensorflow-gpu", "==1.14")),
        ("git+https://github.com/a/b.git#egg=fvcore", ("fvcore", "")),
        ("git+https://github.com/NVIDIA/apex.git", ("apex", "")),
        ("mypkg @ git+https://github.com/o/mypkg.git", ("mypkg", "")),
        ("https://download.pytorch.org/whl/cu100/torch-1.0.0.whl", ("torch", "==1.0.0")),
        ("./local/package", None),
        ("'jax[cuda]>=0.2'", ("jax", ">=0.2")),
        ("$EXTRA", None),
    ],
)
def test_parse_requirement(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_requirement(text) == expected


def test_pip_install_arguments_skip_options() -> None:
    args = pip_install_arguments(
        "-U --no-cache-dir -i https://x/simple torch==1.4 -r req.txt -e . 'numpy<2' && ls"
    )
    assert args == ["torch==1.4", ".", "numpy<2"]
    assert [parse_requirement(a) for a in args] == [("torch", "==1.4"), None, ("numpy", "<2")]


def test_declared_conda_names() -> None:
    assert declared_to_package("pytorch", conda=True) == "torch"
    assert declared_to_package("conda-forge::py-opencv", conda=True) == "opencv-python"
    assert declared_to_package("cudatoolkit", conda=True) is None
    assert declared_to_package("Scikit_Learn") == "scikit-learn"
    assert declared_to_package("python") is None


def test_regex_fallback_reads_python2_imports() -> None:
    source = (
        'import cPickle, numpy as np\nfrom scipy import io\nfrom . import x\nprint "hi"\n    import os.path\n'
    )
    assert list(imports_from_regex(source)) == [
        ("cPickle", 1, "module"),
        ("numpy", 1, "module"),
        ("scipy", 2, "module"),
        ("os.path", 5, "module"),
    ]


def _flags(*packages: str) -> set[str]:
    return {name for name, used in frameworks_of(packages).items() if used}


def test_framework_rule() -> None:
    assert FRAMEWORK_NAMES == (
        "pytorch",
        "tensorflow",
        "keras",
        "jax",
        "mxnet",
        "theano",
        "chainer",
        "paddlepaddle",
    )
    assert _flags("torchvision") == {"pytorch"}  # torchvision cannot run without torch
    assert _flags("pytorch-lightning", "numpy") == {"pytorch"}
    assert _flags("torch-geometric") == {"pytorch"}
    assert _flags("pytorch-msssim") == set()  # a helper named like torch is no framework
    assert _flags("tensorflow-gpu") == {"tensorflow"}
    assert _flags("tf-nightly") == {"tensorflow"}
    assert _flags("tensorflow") == {"tensorflow"}  # tf.keras imports tensorflow: not Keras
    assert _flags("keras", "tensorflow") == {"keras", "tensorflow"}
    assert _flags("flax") == {"jax"} and _flags("dm-haiku") == {"jax"}
    assert _flags("mxnet-cu101") == {"mxnet"}
    assert _flags("lasagne") == {"theano"}
    assert _flags("chainer") == {"chainer"}
    assert _flags("paddlepaddle-gpu") == {"paddlepaddle"}
    assert _flags("numpy", "scipy") == set()


def test_requirements_file_options_hashes_and_include_cycles(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "--extra-index-url https://example.org/simple\n"
        "numpy==1.18.1 --hash=sha256:0123abcd \\\n"
        "    --hash=sha256:4567ef\n"
        "-r requirements.txt\n"
        "-r ../../outside.txt\n"
        "-c constraints.txt\n"
        "--pre\n"
        "six\n"
    )
    deps, pythons = parse_requirements_file(tmp_path / "requirements.txt", tmp_path)
    assert [(d.package, d.specifier, d.evidence) for d in deps] == [
        ("numpy", "==1.18.1", "requirements.txt:2"),
        ("six", "", "requirements.txt:8"),
    ]
    assert pythons == []


@pytest.mark.parametrize("name", ["pyproject.toml", "Pipfile"])
def test_a_toml_file_that_does_not_parse_costs_only_its_own_dependencies(tmp_path: Path, name: str) -> None:
    from crawlers.dependencies.declared import parse_pipfile, parse_pyproject

    parse = parse_pyproject if name == "pyproject.toml" else parse_pipfile
    broken = tmp_path / name
    broken.write_text('[project\ndependencies = ["torch"]\n')
    assert parse(broken, tmp_path) == ([], [])
    broken.write_text(
        '[packages]\nnumpy = "==1.24"\n'
        if name == "Pipfile"
        else '[project]\ndependencies = ["numpy==1.24"]\n'
    )
    deps, _ = parse(broken, tmp_path)
    assert [(d.package, d.specifier) for d in deps] == [("numpy", "==1.24")]
