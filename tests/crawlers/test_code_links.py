"""Code links: normalisation rules one by one, then the real ICLR 2020 code fields as a whole.

The expected numbers for the recorded data (335 links, 259 on github.com, 254 repositories, 5
owner-only) are the ones measured on ../shared/data/openreview/iclr2020/ (see its README).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from typing import Any

import pytest

from crawlers.code_links import (
    CodeLink,
    choose_code_link,
    clean_url,
    find_code_links,
    find_urls,
    first_code_link,
    parse_link,
)
from tests.crawlers.fake_openreview import DATA


@pytest.fixture(scope="module")
def iclr_codes() -> dict[str, str]:
    """forum → content.code of the 687 recorded accepted ICLR 2020 papers that have one."""
    notes: list[dict[str, Any]] = json.loads(
        gzip.decompress((DATA / "accepted_blind_submissions_v1.json.gz").read_bytes())
    )
    return {note["forum"]: note["content"]["code"] for note in notes if note["content"].get("code")}


@pytest.mark.parametrize(
    ("written", "cleaned"),
    [
        (
            "https://github.com/facebookresearch/impact-driven-exploration\u00a0",
            "https://github.com/facebookresearch/impact-driven-exploration",
        ),
        ("  https://github.com/a/b.  ", "https://github.com/a/b"),
        ("(https://github.com/a/b)", "https://github.com/a/b"),
        ("https://github.com/a/b),", "https://github.com/a/b"),
        ("https://en.wikipedia.org/wiki/A_(b)", "https://en.wikipedia.org/wiki/A_(b)"),
        ('"https://github.com/a/b";', "https://github.com/a/b"),
        ("\u200bhttps://github.com/a/b\u200b", "https://github.com/a/b"),
    ],
)
def test_clean_url_trims_what_surrounds_a_link(written: str, cleaned: str) -> None:
    assert clean_url(written) == cleaned


@pytest.mark.parametrize(
    ("url", "repo_url", "subpath", "ref", "host"),
    [
        ("http://www.github.com/Owner/Repo.git/", "https://github.com/Owner/Repo", "", "", "github.com"),
        ("github.com/owner/repo", "https://github.com/owner/repo", "", "", "github.com"),
        (
            "https://github.com/owner/repo?tab=readme-ov-file#install",
            "https://github.com/owner/repo",
            "",
            "",
            "github.com",
        ),
        (
            "https://github.com/google-research/google-research/tree/master/cfq",
            "https://github.com/google-research/google-research",
            "cfq",
            "master",
            "github.com",
        ),
        (
            "https://github.com/tensorflow/addons/blob/master/tensorflow_addons/optimizers/lamb.py",
            "https://github.com/tensorflow/addons",
            "tensorflow_addons/optimizers/lamb.py",
            "master",
            "github.com",
        ),
        (
            "https://github.com/carloderamo/shared/tree/master",
            "https://github.com/carloderamo/shared",
            "",
            "master",
            "github.com",
        ),
        ("https://github.com/o/r/commit/0a1b2c3", "https://github.com/o/r", "", "0a1b2c3", "github.com"),
        ("https://github.com/o/r/issues/3", "https://github.com/o/r", "", "", "github.com"),
        ("https://github.com/deepsphere", "", "", "", "github.com"),
        ("https://github.com/orgs/some-org/repositories", "", "", "", "github.com"),
        (
            "https://gitlab.com/group/sub/proj/-/tree/main/src/x",
            "https://gitlab.com/group/sub/proj",
            "src/x",
            "main",
            "gitlab.com",
        ),
        ("https://gitlab.com/owner/proj.git", "https://gitlab.com/owner/proj", "", "", "gitlab.com"),
        (
            "https://gitlab.com/owner/proj/blob/dev/a.py",
            "https://gitlab.com/owner/proj",
            "a.py",
            "dev",
            "gitlab.com",
        ),
        ("https://gitlab.inria.fr/team/tool", "https://gitlab.inria.fr/team/tool", "", "", "gitlab.inria.fr"),
        ("https://gitlab.com/owner", "", "", "", "gitlab.com"),
        (
            "https://bitbucket.org/owner/repo/src/master/lib/",
            "https://bitbucket.org/owner/repo",
            "lib",
            "master",
            "bitbucket.org",
        ),
        (
            "https://drive.google.com/open?id=1_6oUG94d0C3x7x2Vd935a2QqY-OaAWAM",
            "",
            "",
            "",
            "drive.google.com",
        ),
        ("https://www.dropbox.com/s/68ydaqiqbfomtnm/ZO-L2L.zip?dl=0", "", "", "", "dropbox.com"),
        (
            "https://anonymous.4open.science/r/787222e2-ad5e-4810-a788-e80f0fe7eff0/",
            "",
            "",
            "",
            "anonymous.4open.science",
        ),
        ("http://bit.ly/2lCkfsr", "", "", "", "bit.ly"),
        ("https://storage.googleapis.com/iclr_code/videoflow_code.zip", "", "", "", "storage.googleapis.com"),
        ("https://wgrathwohl.github.io/JEM/", "", "", "", "wgrathwohl.github.io"),
        ("http://www.robots.ox.ac.uk/~vgg/research/auto_novel/", "", "", "", "robots.ox.ac.uk"),
    ],
)
def test_parse_link(url: str, repo_url: str, subpath: str, ref: str, host: str) -> None:
    link = parse_link(url)
    assert (link.repo_url, link.subpath, link.ref, link.host) == (repo_url, subpath, ref, host)
    assert link.url == url  # as written


def test_find_urls_splits_fields_holding_several_links() -> None:
    text = (
        "https://github.com/optyang/proxsgd; https://github.com/cc-hpc-itwm/proxsgd, see [here](www.x.org/a)."
    )
    assert find_urls(text) == [
        "https://github.com/optyang/proxsgd",
        "https://github.com/cc-hpc-itwm/proxsgd",
        "www.x.org/a",
    ]


def test_find_urls_ignores_text_without_links() -> None:
    assert find_urls("Code will be released upon acceptance. e.g. github.") == []


def test_code_field_prefers_a_repository_over_an_earlier_archive() -> None:
    link = choose_code_link("https://drive.google.com/open?id=abc  https://github.com/o/r")
    assert link == CodeLink(
        url="https://github.com/o/r", host="github.com", repo_url="https://github.com/o/r", source="code"
    )


def test_code_field_without_repository_keeps_its_first_link() -> None:
    link = choose_code_link("https://drive.google.com/open?id=1 https://drive.google.com/open?id=2")
    assert link is not None and (link.url, link.repo_url, link.host) == (
        "https://drive.google.com/open?id=1",
        "",
        "drive.google.com",
    )


def test_free_text_keeps_code_hosts_only() -> None:
    text = "Project page https://ali-design.github.io/gan_steerability/ and code at https://github.com/alecwangcq/GraSP."
    assert [link.repo_url for link in find_code_links(text, "abstract")] == [
        "https://github.com/alecwangcq/GraSP"
    ]
    assert find_code_links("Videos: https://sites.google.com/view/robust-rl.", "abstract") == []


def test_first_code_link_prefers_a_repository_across_fields() -> None:
    fields = [
        ("abstract", "Anonymous code https://anonymous.4open.science/r/x/"),
        ("TL;DR", "https://github.com/a/b"),
    ]
    link = first_code_link(fields)
    assert link is not None and (link.repo_url, link.source) == ("https://github.com/a/b", "TL;DR")
    only_anonymous = first_code_link(fields[:1])
    assert only_anonymous is not None and (only_anonymous.host, only_anonymous.repo_url) == (
        "anonymous.4open.science",
        "",
    )


def test_iclr2020_code_fields(iclr_codes: dict[str, str]) -> None:
    """The headline numbers of the recorded data, from the code fields alone."""
    links = {forum: choose_code_link(code) for forum, code in iclr_codes.items()}
    assert len(links) == 335 and all(link is not None for link in links.values())
    hosts = Counter(link.host for link in links.values() if link)
    assert hosts.most_common(6) == [
        ("github.com", 259),
        ("drive.google.com", 29),
        ("dropbox.com", 10),
        ("anonymous.4open.science", 8),
        ("bit.ly", 5),
        ("storage.googleapis.com", 3),
    ]
    github = [link for link in links.values() if link and link.host == "github.com"]
    assert sum(link.is_repository for link in github) == 254
    assert sorted(link.url for link in github if not link.is_repository) == [
        "http://github.com/AvigdorZ",
        "https://github.com/GRAM-nets",
        "https://github.com/anonymous-sushi-armadillo",
        "https://github.com/deepsphere",
        "https://github.com/xuwangyin",
    ]
    assert len({link.repo_url for link in github if link.repo_url}) == 252
    assert sum(bool(link.subpath or link.ref) for link in github) == 10
    assert all(not link.repo_url for link in links.values() if link and link.host.endswith(".github.io"))


def test_iclr2020_messy_links_are_normalised(iclr_codes: dict[str, str]) -> None:
    nbsp = [code for code in iclr_codes.values() if code.endswith("\u00a0")]
    assert nbsp == ["https://github.com/facebookresearch/impact-driven-exploration\u00a0"]
    link = choose_code_link(nbsp[0])
    assert link is not None
    assert (link.url, link.repo_url) == (
        "https://github.com/facebookresearch/impact-driven-exploration",
        "https://github.com/facebookresearch/impact-driven-exploration",
    )
    cfq = [code for code in iclr_codes.values() if code.endswith("/tree/master/cfq")]
    assert cfq == ["https://github.com/google-research/google-research/tree/master/cfq"]
    link = choose_code_link(cfq[0])
    assert link is not None
    assert (link.repo_url, link.subpath, link.ref) == (
        "https://github.com/google-research/google-research",
        "cfq",
        "master",
    )
    both = choose_code_link(
        "https://github.com/LeoYu/neural-tangent-kernel-UCI; https://drive.google.com/open?id=1SdgWmhEcnm4qyaM9xrkN01VF9tj40WZS"
    )
    assert both is not None and both.repo_url == "https://github.com/LeoYu/neural-tangent-kernel-UCI"
