"""`audit census` end to end: the real openreview-py client, the real git, the real report.

The fake OpenReview server (tests/crawlers/fake_openreview.py) serves the recorded ICLR 2020 notes.
git's ``url.<base>.insteadOf`` (longest match wins) sends seven ``https://github.com/<owner>/<repo>``
URLs with real ICLR 2020 names to local repositories built with tests/crawlers/repo_factory.py: a
clean one linked with a trailing non-breaking space, a monorepo linked at three sub-folders, a link to
a single file, a Python 2 / latin-1 / notebook repository, one without any dependency, a folder that
is not a repository and one over the size cap. Every other github.com URL goes to a local HTTP server
answering 404, as GitHub does for the 245 deleted or private ones. The census runs as a user runs it
(``python -m audit``), is killed once mid-run and resumed.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from statsmodels.stats.proportion import proportion_confint

from tests.crawlers.fake_openreview import FakeOpenReview, serve_all
from tests.crawlers.repo_factory import NotFoundServer, make_repo, notebook
from tests.shared_data import shared_data

VENUE = "ICLR.cc/2020/Conference"
TESTCONF = "TestConf.cc/2024/Conference"
DATA = shared_data("openreview", "iclr2020")
GH = "https://github.com/"
MONO = GH + "google-research/google-research"
OUTPUTS = (
    "papers.csv",
    "repos.csv",
    "dependencies.csv",
    "frameworks.csv",
    "all_tools.csv",
    "repo_signals.csv",
    "checklist.csv",
    "census.json",
    "report.md",
    "report.html",
    "top_tools.png",
    "frameworks.png",
    "wordcloud.png",
    ".steps.json",
)
STEPS = ("crawl", "clone", "deps", "checklist", "report")


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeOpenReview]:
    yield from serve_all()


@pytest.fixture
def fake(fake_server: FakeOpenReview, monkeypatch: pytest.MonkeyPatch) -> FakeOpenReview:
    fake_server.reset()
    monkeypatch.setenv("OPENREVIEW_API_BASEURL", fake_server.base_v1)
    monkeypatch.setenv("OPENREVIEW_API_BASEURL_V2", fake_server.base_v2)
    for name in ("OPENREVIEW_USERNAME", "OPENREVIEW_PASSWORD", "OPENREVIEW_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return fake_server


#: Hosts whose every unmirrored repository answers 404, as deleted or private ones do.
FORGES = ("https://github.com/", "https://gitlab.com/")


@pytest.fixture
def forges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Route the mirrored repositories to file:// and everything else on the forges to a 404 server."""
    mirror = tmp_path / "mirror"
    build_mirror(mirror)
    build_testconf_mirror(mirror)
    server = NotFoundServer()
    port = server.port
    rules = [f'[url "http://127.0.0.1:{port}/{forge[8:]}"]\n\tinsteadOf = {forge}\n' for forge in FORGES]
    rules += [
        f'[url "file://{git_dir.parent}"]\n\tinsteadOf = https://{git_dir.parent.relative_to(mirror).as_posix()}\n'
        for git_dir in sorted(mirror.rglob(".git"))
    ]
    rules.append(f'[url "file://{not_a_repository(mirror)}"]\n\tinsteadOf = {GH}wukailun/GLISTA\n')
    config = tmp_path / "gitconfig"
    config.write_text("".join(rules) + "[protocol]\n\tallow = always\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    try:
        yield mirror
    finally:
        server.close()


def not_a_repository(mirror: Path) -> Path:
    """A plain folder that wukailun/GLISTA points to: git finds no repository there."""
    return mirror / "plain" / "GLISTA"


def build_mirror(mirror: Path) -> None:
    """The seven repositories of the module docstring, under names that accepted papers link to."""
    root = mirror / "github.com"
    make_repo(
        root / "facebookresearch/impact-driven-exploration",  # linked with a trailing U+00A0
        {
            "requirements.txt": "torch==1.1.0\ngym==0.14.0  # envs\nnumpy==1.16.4\n",
            "setup.py": (
                "from setuptools import setup\n"
                'setup(name="ride", install_requires=["torch==1.1.0"], python_requires=">=3.6")\n'
            ),
            "src/train.py": "import torch\nimport gym\nimport numpy as np\nimport matplotlib.pyplot as plt\n",
        },
    )
    make_repo(
        root / "google-research/google-research",  # linked at cfq, meta_learning_..., weak_disentangle
        {
            "cfq/requirements.txt": "tensorflow==1.15\nabsl-py\n",
            "cfq/run.py": "import tensorflow as tf\nfrom absl import app\n",
            "meta_learning_without_memorization/maml.py": "import tensorflow as tf\nimport numpy as np\n",
            "weak_disentangle/main.py": "import torch\nimport tensorflow as tf\nimport numpy as np\n",
            "unlinked_project/model.py": "import jax\n",  # no paper links this folder: never counted
        },
    )
    make_repo(
        root / "tensorflow/addons",  # linked to tensorflow_addons/optimizers/lamb.py: its folder is scanned
        {"tensorflow_addons/optimizers/lamb.py": "import tensorflow as tf\nimport typeguard\n"},
    )
    make_repo(
        root / "delta2323/gnn-asymptotics",
        {
            "requirements.txt": "# deps\nchainer>=6.0  # framework\nnumpy\n",
            "train.py": "import chainer\nprint 'python 2'\n",
            "util.py": b"# -*- coding: latin-1 -*-\n# caf\xe9\nimport scipy\n",
            "analysis.ipynb": notebook("import pandas as pd\n"),
        },
    )
    make_repo(root / "carloderamo/shared", {"README.md": "Code coming soon.\n"})
    folder = not_a_repository(mirror)  # a folder, not a repository
    folder.mkdir(parents=True)
    (folder / "README").write_text("not a repository\n")
    make_repo(root / "gengchenmai/space2vec", {"data.bin": random.Random(0).randbytes(2_000_000)})


def build_testconf_mirror(mirror: Path) -> None:
    """The two repositories TestConf 2024's accepted papers name (one on GitLab, linked at src/)."""
    make_repo(
        mirror / "github.com/testconf/alpha",
        {
            "pyproject.toml": (
                '[project]\nname = "alpha"\nrequires-python = ">=3.10"\ndependencies = ["jax>=0.4", "flax"]\n'
            ),
            "alpha/train.py": "import jax\nimport flax\nimport optax\n",
        },
    )
    make_repo(
        mirror / "gitlab.com/group/sub/beta",
        {
            "src/requirements.txt": "torch==2.2.0\ntransformers==4.40.0\n",
            "src/Dockerfile": "FROM nvidia/cuda:11.8.0-runtime-ubuntu22.04\nRUN pip install torch==2.2.0\n",
            "src/model.py": "import torch\nimport transformers\n",
            "docs/conf.py": "import sphinx\n",  # outside the linked folder: not counted
        },
    )


def expected_tiers() -> dict[str, tuple[int, int]]:
    """(with code, accepted) per tier, from the recorded notes and statuses, not from papers.csv."""
    with gzip.open(DATA / "accepted_blind_submissions_v1.json.gz", "rt", encoding="utf-8") as handle:
        notes = json.load(handle)
    with gzip.open(DATA / "submission_status.json.gz", "rt", encoding="utf-8") as handle:
        status = {row["id"]: row["status"].lower() for row in json.load(handle)}
    accepted, coded = Counter(), Counter()
    for note in notes:
        tier = status[note["forum"]]
        accepted[tier] += 1
        coded[tier] += bool(note["content"].get("code", "").strip())
    return {tier: (coded[tier], accepted[tier]) for tier in ("poster", "spotlight", "talk")}


def census_command(out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "audit",
        "census",
        VENUE,
        "--out",
        str(out),
        "--workers",
        "4",
        "--timeout",
        "60",
        "--max-size-mb",
        "1",
        "--top",
        "5",
    ]


def run_census(out: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        census_command(out), capture_output=True, text=True, timeout=300, env=dict(os.environ), check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def run_census_killed_after_crawl(out: Path) -> str:
    """Start the census and SIGKILL it as soon as the crawl step reports done (mid-clone)."""
    process = subprocess.Popen(
        census_command(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    assert process.stderr is not None
    seen = []
    deadline = time.monotonic() + 120
    for line in process.stderr:
        seen.append(line)
        if line.startswith("census: crawl: done") or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    assert process.stdout is not None
    process.stdout.close()
    return "".join(seen)


def headline(doc: dict) -> dict:
    """census.json without what legitimately changes between renders."""
    return {k: v for k, v in doc.items() if k not in {"generated_at", "sources"}}


def skipped_steps(stderr: str) -> list[str]:
    return [step for step in STEPS if f"census: {step}: finished earlier, skipped" in stderr]


def checkout_identity(cache: Path) -> dict[str, int]:
    """Inode of every cached checkout: a reclone renames a fresh folder into place (new inode)."""
    root = cache / "repos" / "github.com"
    return {str(p.relative_to(root)): p.stat().st_ino for p in root.glob("*/*") if (p / ".git").is_dir()}


def assert_census_numbers(doc: dict) -> None:
    papers = doc["papers"]
    assert (papers["submitted"], papers["accepted"]) == (2213, 687)
    assert (papers["with_code"]["k"], papers["with_code"]["n"]) == (335, 687)
    low, high = proportion_confint(335, 687, alpha=0.05, method="wilson")
    assert papers["with_code"]["ci_low"] == pytest.approx(low, abs=1e-12)
    assert papers["with_code"]["ci_high"] == pytest.approx(high, abs=1e-12)
    tiers = {tier: (p["k"], p["n"]) for tier, p in papers["with_code_by_tier"].items()}
    assert tiers == expected_tiers()
    assert [n for _, n in tiers.values()] == [531, 108, 48]
    assert papers["github_links"] == 259
    assert papers["with_repo_url"] == 254  # 5 github.com links name only an owner
    assert list(doc["hosts"].items())[:4] == [
        ("github.com", 259),
        ("drive.google.com", 29),
        ("dropbox.com", 10),
        ("anonymous.4open.science", 8),
    ]
    assert sum(doc["hosts"].values()) == 335
    kinds = doc["host_kinds"]
    assert [kinds[k] for k in ("GitHub", "Google Drive", "Dropbox", "URL shortener")] == [259, 30, 10, 6]
    assert sum(kinds.values()) == 335
    assert doc["crawl"]["source"] == "api" and doc["crawl"]["api"] == "v1"

    assert doc["repositories"] == {
        "distinct": 252,
        "cloned": 5,
        "code_bases": 7,
        "parsed": 6,
        "status": {"ok": 5, "not_found": 245, "too_large": 1, "not_a_repository": 1},
        "not_parsed": {"not_found": 245, "too_large": 1, "not_a_repository": 1, "no_dependencies_found": 1},
    }
    frameworks = {key: (p["k"], p["n"]) for key, p in doc["frameworks"].items()}
    assert frameworks == {
        "pytorch": (2, 6),
        "tensorflow": (4, 6),
        "keras": (0, 6),
        "jax": (0, 6),
        "mxnet": (0, 6),
        "theano": (0, 6),
        "chainer": (1, 6),
        "paddlepaddle": (0, 6),
    }
    assert doc["framework_co_use"] == [{"frameworks": ["pytorch", "tensorflow"], "code_bases": 1}]
    assert (doc["multiple_frameworks"], doc["no_framework"]) == (1, 0)
    assert doc["packages"]["unique"] == 10
    assert [(p["package"], p["code_bases"]) for p in doc["packages"]["top"]] == [
        ("numpy", 4),
        ("tensorflow", 4),
        ("torch", 2),
        ("absl-py", 1),
        ("chainer", 1),
    ]
    signals = {key: None if p is None else (p["k"], p["n"]) for key, p in doc["signals"].items()}
    assert signals == {
        "declared_file": (3, 7),
        "version_constraints": (3, 3),
        "all_pinned": (1, 3),
        "python_version": (1, 7),
        "container_or_env": (0, 7),
        "undeclared_imports": (2, 3),
        "python2": (1, 7),  # the Python 2 / latin-1 / notebook repository
        "notebook_only": (0, 7),
    }
    checklist = doc["checklist"]  # 7 code bases, none with a README that documents anything
    assert checklist["code_bases"] == 7 and checklist["not_scored"] == {}
    assert {k: (p["k"], p["n"]) for k, p in checklist["items"].items()} == {
        "dependencies": (3, 7),  # requirements.txt of RIDE, cfq and gnn-asymptotics
        "training": (1, 7),  # gnn-asymptotics' Python 2 train.py (top-level code)
        "evaluation": (0, 7),
        "pretrained": (0, 7),
        "results": (0, 7),
    }
    assert [d["k"] for d in checklist["distribution"]] == [4, 2, 1, 0, 0, 0]
    baseline = {row["key"]: (row["published"], row["this_census"]) for row in doc["baseline"]}
    assert baseline == {
        "accepted": (687, 687),
        "with_code": (344, 335),
        "github_links": (268, 259),
        "parsed": (237, 6),
        "pytorch": (154, 2),
        "tensorflow": (95, 4),
        "keras": (23, 0),
    }


def test_census_end_to_end_with_interruption_and_resume(
    fake: FakeOpenReview, forges: Path, tmp_path: Path
) -> None:
    out = tmp_path / "iclr2020"
    cache = Path(os.environ["AUDIT_CACHE_DIR"])

    # 1. Killed right after the crawl: papers.csv is finished, the clone step is not.
    killed = run_census_killed_after_crawl(out)
    assert "census: crawl: done" in killed
    steps = json.loads((out / ".steps.json").read_text())["steps"]
    assert list(steps) == ["crawl"]
    requests = fake.count
    assert requests > 0

    # 2. The same command again: no request to OpenReview, the rest runs, the report's path on stdout.
    second = run_census(out)
    assert fake.count == requests
    assert skipped_steps(second.stderr) == ["crawl"]
    assert second.stdout.splitlines() == [str(out / "report.html")]
    for name in OUTPUTS:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    for name in ("top_tools.png", "frameworks.png", "wordcloud.png"):
        with Image.open(out / name) as image:
            assert image.format == "PNG"
    doc = json.loads((out / "census.json").read_text())
    assert_census_numbers(doc)
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3
    assert 'src="http' not in html
    checkouts = checkout_identity(cache)
    assert len(checkouts) == 5

    # 3. Nothing left to do: every step is skipped and the report is not rewritten.
    report_bytes = (out / "census.json").read_bytes()
    third = run_census(out)
    assert skipped_steps(third.stderr) == list(STEPS)
    assert (out / "census.json").read_bytes() == report_bytes
    assert fake.count == requests

    # 4. repos.csv lost and dependencies.csv half-written (a crash mid-write): clone and deps redo
    #    their part from the clone cache, nothing is fetched or recloned, the numbers are the same.
    (out / "repos.csv").unlink()
    deps = (out / "dependencies.csv").read_bytes()
    (out / "dependencies.csv").write_bytes(deps[: len(deps) // 2])
    fourth = run_census(out)
    assert skipped_steps(fourth.stderr) == ["crawl"]
    assert fake.count == requests
    assert checkout_identity(cache) == checkouts
    assert (out / "dependencies.csv").read_bytes() == deps
    assert headline(json.loads((out / "census.json").read_text())) == headline(doc)

    # 5. `audit report DIR` re-renders the same numbers from the CSVs.
    (out / "report.html").unlink()
    rendered = subprocess.run(
        [sys.executable, "-m", "audit", "report", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert (out / "report.html").is_file()
    again = json.loads((out / "census.json").read_text())
    assert headline(again) == headline(doc)
    assert again["packages"]["top_n"] == 5  # the census' --top, remembered in .steps.json


def test_census_of_a_v2_venue_in_process(
    fake: FakeOpenReview, forges: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """API v2, links only in free text (abstract, TL;DR), a GitLab sub-folder, an oral tier."""
    from audit.pipelines import census

    out = tmp_path / "testconf"
    options = {
        "out": out,
        "from_file": None,
        "workers": 2,
        "timeout_s": 60.0,
        "max_size_mb": 50.0,
        "top_n": 3,
    }
    report = census.run(TESTCONF, **options)
    assert report == out / "report.html"
    assert capsys.readouterr().out == f"{report}\n"
    requests = fake.count
    doc = json.loads((out / "census.json").read_text())

    papers = doc["papers"]
    assert (papers["submitted"], papers["accepted"], papers["with_repo_url"]) == (6, 4, 2)
    assert (papers["with_code"]["k"], papers["with_code"]["n"]) == (3, 4)
    tiers = {tier: (p["k"], p["n"]) for tier, p in papers["with_code_by_tier"].items()}
    assert list(tiers.items()) == [("poster", (2, 2)), ("spotlight", (0, 1)), ("oral", (1, 1))]
    assert list(doc["hosts"].items()) == [
        ("anonymous.4open.science", 1),
        ("github.com", 1),
        ("gitlab.com", 1),
    ]
    assert doc["host_kinds"] == {"GitHub": 1, "GitLab": 1, "anonymous.4open.science": 1}
    assert doc["repositories"] == {
        "distinct": 2,
        "cloned": 2,
        "code_bases": 2,
        "parsed": 2,
        "status": {"ok": 2},
        "not_parsed": {},
    }
    used = {key: p["k"] for key, p in doc["frameworks"].items() if p["k"]}
    assert used == {"pytorch": 1, "jax": 1}
    assert doc["framework_co_use"] == []
    assert doc["packages"]["unique"] == 5
    assert [(p["package"], p["code_bases"]) for p in doc["packages"]["top"]] == [
        ("flax", 1),
        ("jax", 1),
        ("optax", 1),
    ]
    signals = {key: None if p is None else (p["k"], p["n"]) for key, p in doc["signals"].items()}
    assert signals == {
        "declared_file": (2, 2),
        "version_constraints": (2, 2),
        "all_pinned": (1, 2),
        "python_version": (1, 2),
        "container_or_env": (1, 2),
        "undeclared_imports": (1, 2),
        "python2": (0, 2),
        "notebook_only": (0, 2),
    }
    assert doc["baseline"] == []

    census.run(TESTCONF, **options)  # finished: nothing is fetched, cloned or rendered again
    assert fake.count == requests
    assert "census: report: finished earlier, skipped" in capsys.readouterr().err
