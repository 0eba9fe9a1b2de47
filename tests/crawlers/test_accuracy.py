"""Issue 14: each census-accuracy defect, on real git repositories built for it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.identity import repo_key
from crawlers import cloning
from crawlers.dependencies.aliases import canonical, providers, provides, resolve_import
from crawlers.dependencies.frameworks import Evidence, attribute
from crawlers.dependencies.infer import RepoReport, infer_repository
from crawlers.dependencies.requirements import parse_requirement, requirement_guessed
from crawlers.dependencies.tables import framework_row
from tests.crawlers import accuracy_repos as repos
from tests.crawlers.repo_factory import GitHubMirror, github_mirror, make_repo, write_papers_csv

__all__ = ["github_mirror"]


def _infer(tmp_path: Path, files: dict[str, str | bytes], url: str = "https://github.com/o/r") -> RepoReport:
    checkout, _ = make_repo(tmp_path / "repo", files)
    report = infer_repository(url, checkout)
    assert report.status == "ok", report.error
    return report


def _rows(report: RepoReport) -> set[tuple[str, str, str, str, str]]:
    return {(d.package, d.source, d.resolution, d.resolved_by, d.canonical) for d in report.dependencies}


# --------------------------------------------------------------------------- the alias table


@pytest.mark.parametrize(
    ("name", "first", "members"),
    [
        ("tensorflow", "tensorflow", {"tensorflow-gpu", "tensorflow-cpu", "tf-nightly", "intel-tensorflow"}),
        ("cv2", "opencv-python", {"opencv-python-headless", "opencv-contrib-python"}),
        ("PIL", "pillow", {"pillow-simd"}),
        ("torch", "torch", {"pytorch"}),
        ("sklearn", "scikit-learn", {"sklearn"}),
    ],
)
def test_alias_families_are_one_to_many(name: str, first: str, members: set[str]) -> None:
    found = providers(name)
    assert found[0] == first and members <= set(found)
    assert {canonical(member) for member in members} == {first}


def test_resolution_says_which_table() -> None:
    assert (resolve_import("cv2").package, resolve_import("cv2").table) == ("opencv-python", "overrides")
    assert (resolve_import("yaml").package, resolve_import("yaml").table) == ("pyyaml", "pipreqs")
    assert (resolve_import("skimage").package, resolve_import("skimage").table) == ("scikit-image", "wheels")
    guess = resolve_import("mysterylib")
    assert (guess.package, guess.table, guess.kind) == ("mysterylib", "identity", "guessed")
    assert resolve_import("utils").package is None and resolve_import("google").package is None
    assert {"torch", "functorch"} <= provides("torch") and provides("pillow-simd") == {"PIL"}
    assert canonical("mxnet-cu101") == "mxnet" and canonical("keras-nightly") == "keras"


def test_declared_build_variants_cover_their_imports(tmp_path: Path) -> None:
    report = _infer(tmp_path, repos.ALIASES)
    assert _rows(report) == {
        ("tensorflow-gpu", "requirements.txt", "declared", "requirements.txt:1", "tensorflow"),
        ("tensorflow-gpu", "imports", "declared", "requirements.txt:1", "tensorflow"),
        ("opencv-python-headless", "requirements.txt", "declared", "requirements.txt:2", "opencv-python"),
        ("opencv-python-headless", "imports", "declared", "requirements.txt:2", "opencv-python"),
        ("pillow-simd", "requirements.txt", "declared", "requirements.txt:3", "pillow"),
        ("pillow-simd", "imports", "declared", "requirements.txt:3", "pillow"),
        ("wandb", "imports", "mapped", "wheels", "wandb"),
        ("mysterylib", "imports", "guessed", "identity", "mysterylib"),
    }
    assert report.signals["imported_undeclared"] == "mysterylib;wandb"
    assert (report.signals["n_guessed"], report.signals["guessed"]) == (1, "mysterylib")
    assert report.frameworks["tensorflow"] and report.attribution.primary == "tensorflow"


# --------------------------------------------------------------------------- local modules


def test_local_names_only_from_plausible_roots(tmp_path: Path) -> None:
    report = _infer(tmp_path, repos.NESTED_LOCAL)
    imports = {(d.package, d.evidence) for d in report.dependencies if d.source == "imports"}
    assert imports == {
        (
            "datasets",
            "train.py:1",
        ),  # utils/datasets.py is inside the utils package: not importable as datasets
        ("evaluate", "train.py:2"),  # scripts/evaluate.py is not on train.py's path
        ("numpy", "utils/datasets.py:1"),
        ("scipy", "scripts/evaluate.py:1"),
    }  # mypkg (a top-level package), utils, run.py's sibling evaluate and Python 2's sibling are local
    assert report.signals["python2_files"] == "legacy/old.py"


# --------------------------------------------------------------------------- declared files


def test_yaml_counts_only_with_dependencies(tmp_path: Path) -> None:
    report = _infer(tmp_path, repos.ENV_YAML)
    assert report.signals["declared_files"] == "envs/environment.yml"
    assert report.signals["has_environment_file"] is True
    assert {(d.package, d.source, d.specifier) for d in report.dependencies} == {
        ("numpy", "environment.yml", "==1.18"),
        ("numpy", "imports", ""),
    }
    only_config = _infer(tmp_path / "two", {"env_config.yaml": "env: Pong\n", "a.py": "import gym\n"})
    assert (
        only_config.signals["has_environment_file"] is False and only_config.signals["declared_files"] == ""
    )


def test_url_requirements_give_their_distribution(tmp_path: Path) -> None:
    report = _infer(tmp_path, repos.URLS)
    got = {(d.package, d.source, d.specifier, d.resolution, d.optional) for d in report.dependencies}
    assert got == {
        ("torch", "requirements.txt", "==1.1.0", "declared", False),
        ("einops", "requirements.txt", "==0.3.0", "declared", False),
        ("mylib", "requirements.txt", "", "declared", False),
        ("cocoapi", "requirements.txt", "", "guessed", False),  # a repository name, not a distribution
        ("sometool", "requirements.txt", "", "guessed", False),
        ("numpy", "setup.cfg", '>=1.17; python_version >= "3.6"', "declared", False),
        ("dataclasses", "setup.cfg", '; python_version < "3.7"', "declared", False),
        ("pytest", "setup.cfg", "", "declared", True),
        ("black", "setup.cfg", "", "declared", True),
    }
    assert requirement_guessed("git+https://github.com/cocodataset/cocoapi.git")
    assert not requirement_guessed("git+https://github.com/a/b.git#egg=fvcore")
    assert parse_requirement("./wheels/tqdm-4.41.0-py2.py3-none-any.whl") == ("tqdm", "==4.41.0")


# --------------------------------------------------------------------------- framework roles


def test_vendored_conversion_optional_and_function_imports_get_their_roles(tmp_path: Path) -> None:
    report = _infer(tmp_path, repos.ROLES)
    row = framework_row(report)
    assert report.signals["vendored"] == "foolbox@foolbox"
    assert row["primary"] == "pytorch" and row["n_frameworks"] == 8
    roles = {fw: row[f"{fw}_role"] for fw in report.frameworks}
    assert roles == {
        "pytorch": "primary",
        "tensorflow": "vendored",
        "keras": "conversion",
        "jax": "optional",
        "mxnet": "secondary",
        "theano": "declared",
        "chainer": "tests",
        "paddlepaddle": "examples",
    }
    assert (row["pytorch_declared"], row["pytorch_own_files"], row["pytorch_function_files"]) == (
        "requirements.txt:1",
        3,
        0,
    )
    assert row["pytorch_elsewhere"] == "conversion:1"
    assert (row["mxnet_own_files"], row["mxnet_function_files"]) == (0, 1)
    assert row["tensorflow_elsewhere"] == "vendored:1" and row["tensorflow_declared"] == ""  # copy's file
    assert row["jax_elsewhere"] == "optional:1" and row["theano_declared"] == "requirements.txt:2"
    assert str(row["primary_reason"]).startswith(
        "pytorch: 3 own files import it (3 at module level, 0 only in functions); "
        "declared in requirements.txt:1"
    )
    assert all(report.frameworks.values())  # "uses" keeps its meaning: any import or declaration


def test_primary_rule_scores_and_ties() -> None:
    def ev(files: dict[str, tuple[str, str, bool]], declared: tuple[str, ...] = ()) -> Evidence:
        return Evidence(declared=list(declared), files=files)

    own = ("own", "module", False)
    uses = dict.fromkeys(("pytorch", "tensorflow", "keras"), True)
    both = attribute(
        uses, {"keras": ev({"a.py": own, "b.py": own}), "tensorflow": ev({"a.py": own, "b.py": own})}
    )
    assert both.primary == "keras"  # Keras code imports its TensorFlow backend in the same files
    more = attribute(
        uses, {"pytorch": ev({"a.py": own}, ("r:1",)), "tensorflow": ev({"b.py": own, "c.py": own})}
    )
    assert more.primary == "tensorflow"  # more own files beat a declaration
    declared_only = attribute(uses, {"pytorch": ev({}, ("requirements.txt:1",))})
    assert declared_only.primary == "pytorch"
    conversion = attribute(uses, {"tensorflow": ev({"convert.py": ("conversion", "module", False)})})
    assert conversion.primary == "" and conversion.role("tensorflow") == "conversion"


# --------------------------------------------------------------------------- signals


def test_python2_and_notebook_only_signals(tmp_path: Path) -> None:
    old = _infer(tmp_path, repos.PYTHON2)
    assert (old.signals["python2"], old.signals["python2_files"], old.signals["notebook_only"]) == (
        True,
        "main.py",
        False,
    )
    notebooks = _infer(tmp_path / "nb", repos.NOTEBOOKS)
    assert notebooks.signals["notebook_only"] is True and notebooks.signals["python2_files"] == "old.ipynb"
    assert notebooks.attribution.primary == "pytorch"
    assert (notebooks.published.method, notebooks.published.reason) == (
        "unparsed",
        "no requirements.txt; imports only in notebooks, which pipreqs does not read",
    )


def test_published_method_on_the_same_checkout(tmp_path: Path) -> None:
    report = _infer(tmp_path, repos.PUBLISHED_REQUIREMENTS)
    row = framework_row(report)
    assert (row["published_method"], row["published_frameworks"], row["published_matches"]) == (
        "requirements.txt",
        "pytorch",  # 'torch' is a substring of pytorch-msssim, a loss function package
        "pytorch:pytorch",
    )
    assert not report.frameworks["pytorch"] and report.frameworks["tensorflow"]
    old = _infer(tmp_path / "py2", {"main.py": 'import torch\nprint "x"\n'})
    assert (old.published.method, old.published.reason) == (
        "unparsed",
        "pipreqs aborts on main.py, which Python 3 cannot parse",
    )


# --------------------------------------------------------------------------- repository identity


def test_repository_identity_is_case_insensitive_on_forges() -> None:
    assert repo_key("https://github.com/Owner/Repo") == repo_key("https://github.com/owner/repo.git/")
    assert (
        repo_key("https://gitlab.example.org/Group/Sub/Proj") == "https://gitlab.example.org/group/sub/proj"
    )
    assert repo_key("https://example.org/Owner/Repo") != repo_key("https://example.org/owner/repo")
    targets = cloning.select_targets(
        [
            {"repo_url": "https://github.com/Owner/Repo", "accepted": "True"},
            {"repo_url": "https://github.com/owner/repo", "accepted": "True", "repo_ref": "v2"},
        ]
    )
    # one repository, written as first seen; each linked ref has its own checkout (issue 8)
    assert targets == [
        cloning.CloneTarget("https://github.com/Owner/Repo", ""),
        cloning.CloneTarget("https://github.com/Owner/Repo", "v2"),
    ]


def test_one_clone_and_one_code_base_for_two_spellings(github_mirror: GitHubMirror, tmp_path: Path) -> None:
    from audit.pipelines import clone as clone_step
    from audit.pipelines import deps as deps_step
    from reports.census.aggregate import summarize
    from reports.census.load import load_tables

    url = github_mirror.add("Owner/Repo", {"main.py": "import torch\n"})
    out = tmp_path / "venue"
    write_papers_csv(
        out / "papers.csv",
        [
            {"forum": "f1", "accepted": "True", "repo_url": url, "code_url": url, "host": "github.com"},
            {
                "forum": "f2",
                "accepted": "True",
                "repo_url": "https://github.com/owner/repo",
                "code_url": "https://github.com/owner/repo",
                "host": "github.com",
            },
        ],
    )
    clone_step.run(out, workers=1, timeout_s=30, max_size_mb=5)
    with (out / "repos.csv").open(newline="") as handle:
        assert [(r["repo_url"], r["status"]) for r in csv.DictReader(handle)] == [(url, "ok")]
    assert [job.repo_url for job in deps_step.jobs_for(out)] == [url]
    deps_step.run(out, workers=1)
    summary = summarize(load_tables(out), venue="V", generated_at="t", tool_version="0")
    assert (summary.repos_distinct, summary.repos_cloned, summary.code_bases, summary.repos_parsed) == (
        1,
        1,
        1,
        1,
    )
    assert summary.frameworks["pytorch"].k == 1 and summary.with_code.k == 2


def test_published_method_reads_files_as_python_3_6_did(tmp_path: Path) -> None:
    report = _infer(tmp_path, {"train.py": "import torch\nx = y.cuda(async=True)\n"})
    assert report.signals["unparsed_files"] == "train.py"  # not Python 3.7+ ...
    assert (report.published.method, report.published.tools) == ("pipreqs", ("torch",))  # ... but 3.6
    latin = _infer(tmp_path / "latin", {"a.py": b"# r\xe9sultats\nimport numpy\n"})
    assert (latin.published.method, latin.published.reason) == (
        "unparsed",
        "pipreqs aborts on a.py, which is not UTF-8",
    )
