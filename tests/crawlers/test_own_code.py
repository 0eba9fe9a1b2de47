"""The rules behind code links from PDFs, one by one: phrases, owners, sections, waits, domains."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from crawlers.code_links import parse_link
from crawlers.domains import OTHER, classify
from crawlers.openreview.pdfs import PdfRequest, duration, retry_wait
from crawlers.own_code import (
    ACCEPT,
    candidates,
    join_wrapped_urls,
    owner_matches,
    owner_of,
    phrase_evidence,
    sections,
)
from crawlers.pdf_text import Annotation, Block, PdfText


@pytest.mark.parametrize(
    ("sentence", "score", "phrase"),
    [
        ("Our code is available at", 3, "our code"),
        ("We release the models and data at", 3, "we release"),
        ("We will make all scripts publicly available at", 3, "we will make all scripts publicly available"),
        ("Code: ", 3, "code:"),
        ("The source code is available at", 3, "source code is available"),
        ("We build on the implementation of Smith et al. (", -3, "we build on"),
        ("The code of [12] is available at", -3, "code of"),
        ("We compare with the official implementation at", -3, "official implementation"),
        ("Results are in Table 2, see", 0, ""),
        # A first-person phrase wins over a citing one in the same sentence.
        ("Building on the code of X, our implementation is at", 3, "our implementation"),
    ],
)
def test_phrases(sentence: str, score: int, phrase: str) -> None:
    assert phrase_evidence(sentence, "") == (score, phrase)


def test_the_sentence_before_counts_only_when_the_links_own_says_nothing() -> None:
    assert phrase_evidence("See", "Our code is public.") == (3, "our code")
    assert phrase_evidence("We use the toolkit at", "Our code is public.") == (-3, "we use")


@pytest.mark.parametrize(
    ("owner", "authors", "match"),
    [
        ("ada-lovelace", ["Ada Lovelace"], "Ada Lovelace"),
        ("aturing", ["Alonzo Church", "Alan Turing"], "Alan Turing"),
        ("LiskovLab", ["Barbara Liskov"], "Barbara Liskov"),
        ("gödel", ["Kurt Gödel"], "Kurt Gödel"),  # 5 letters, accents folded
        ("yixuanli", ["Yixuan Li"], "Yixuan Li"),  # short family name: first+last
        ("lixy", ["Xiang Li"], ""),  # "li" alone is too short to count
        ("google-research", ["Ada Lovelace"], ""),
        ("", ["Ada Lovelace"], ""),
    ],
)
def test_owner_matches_an_author(owner: str, authors: list[str], match: str) -> None:
    assert owner_matches(owner, authors) == match


def test_owner_of_links() -> None:
    assert owner_of(parse_link("https://github.com/ada/engine/tree/main/x")) == "ada"
    assert owner_of(parse_link("https://gitlab.com/group/sub/repo")) == "group"
    assert owner_of(parse_link("https://anonymous.4open.science/r/abc")) == ""
    assert owner_of(parse_link("https://example.org/ada/engine")) == ""


def test_urls_broken_at_line_ends_are_joined() -> None:
    assert join_wrapped_urls("at https://github.com/ada-\nlovelace/engine.") == (
        "at https://github.com/ada-lovelace/engine."
    )
    assert join_wrapped_urls("at https://github.com/\nada/engine") == "at https://github.com/ada/engine"
    assert join_wrapped_urls("at https://github.com/ada/engine\nand more") == (
        "at https://github.com/ada/engine\nand more"
    )


def block(page: int, text: str, y1: float = 0.8, size: float = 10.0) -> Block:
    return Block(page=page, text=text, y0=y1 - 0.05, y1=y1, size=size)


def test_sections_and_scores() -> None:
    text = PdfText(
        pages=3,
        blocks=[
            block(1, "A Title", 0.95, 15),
            block(1, "Abstract", 0.9, 12),
            block(1, "We do things. Code: https://github.com/x/own", 0.85),
            block(1, "1 Introduction\nText that is long enough to be the body of the page. " * 3, 0.7),
            block(1, "1 https://github.com/tool/used", 0.1, 7),  # a bare first-page footnote: 2 < ACCEPT
            block(2, "More text. Findings and analysis of the results follow here in detail. " * 3, 0.8),
            block(2, "References\n[1] https://github.com/cited/one", 0.3),  # heading glued to an entry
            block(3, "A Appendix details\nOur code is at https://github.com/x/appendix", 0.8),
        ],
        annotations=[Annotation(2, "https://gitlab.com/grp/hidden", 0.1, 0.74, 0.2, 0.76)],
    )
    assert sections(text.blocks) == [
        "body",
        "abstract",
        "abstract",
        "body",
        "footnote",
        "body",
        "references",
        "appendix",
    ]
    found = {c.link.url: (c.where, c.score, c.own) for c in candidates(text, ["Ada Lovelace"])}
    assert found == {
        "https://github.com/x/own": ("abstract", 5, True),
        "https://github.com/tool/used": ("footnote", 2, False),
        "https://github.com/cited/one": ("references", 0, False),
        "https://github.com/x/appendix": ("appendix", 3, True),
        "https://gitlab.com/grp/hidden": ("body", 0, False),  # an annotation in plain body text
    }
    assert ACCEPT == 3


def test_an_annotation_completes_a_url_cut_in_the_text() -> None:
    text = PdfText(
        pages=1,
        blocks=[block(1, "Our code is at https://github.com/ada/eng", 0.5)],
        annotations=[Annotation(1, "https://github.com/ada/engine-full", 0.1, 0.46, 0.5, 0.5)],
    )
    (candidate,) = candidates(text, [])
    assert candidate.link.repo_url == "https://github.com/ada/engine-full"


def response(status: int, headers: dict[str, str], body: dict) -> requests.Response:
    import json

    answer = requests.Response()
    answer.status_code = status
    answer.headers.update({"Content-Type": "application/json", **headers})
    answer._content = json.dumps(body).encode()
    return answer


NOW = datetime(2026, 8, 31, 7, 59, 12, tzinfo=UTC).timestamp()
REAL_BODY = {  # as OpenReview answered a PDF download (openreview_downloader issue #4)
    "name": "RateLimitError",
    "message": "Too many requests: You have made 37 requests, surpassing the limit of 36 requests. "
    "Please try again in 60 minutes and 13 seconds (2026-08-31-4689127)",
    "status": 429,
    "details": {"limit": 36, "remaining": 0, "resetTime": "2026-08-31T08:59:25.212Z", "used": 37},
}


def test_how_long_to_wait_after_a_429() -> None:
    assert retry_wait(response(429, {"Retry-After": "120"}, REAL_BODY), NOW) == (120.0, "Retry-After")
    date = "Mon, 31 Aug 2026 08:00:12 GMT"
    assert retry_wait(response(429, {"Retry-After": date}, {}), NOW) == (60.0, "Retry-After")
    wait, said_by = retry_wait(response(429, {}, REAL_BODY), NOW)
    assert said_by == "resetTime" and wait == pytest.approx(3613.212)
    no_reset = {**REAL_BODY, "details": {"limit": 36}}
    assert retry_wait(response(429, {}, no_reset), NOW) == (3613.0, "message")
    assert retry_wait(response(429, {}, {"message": "slow down"}), NOW) == (None, "")


def test_durations_and_cache_keys() -> None:
    assert [duration(s) for s in (42, 750, 3613.2, 7 * 3600 + 5 * 60)] == [
        "42s",
        "12m 30s",
        "1h 00m",
        "7h 05m",
    ]
    assert PdfRequest("f", "v2", "/pdf/" + "a" * 40 + ".pdf").key == "a" * 40
    assert PdfRequest("f", "v2", "/pdf/" + "b" * 40 + ".pdf").key != PdfRequest("f", "v2", "/x.pdf").key


@pytest.mark.parametrize(
    ("title", "keywords", "abstract", "domain"),
    [
        ("Deep Q-Learning at Scale", ["reinforcement learning", "exploration"], "", "reinforcement learning"),
        ("A Study", ["graph neural networks"], "We classify images of molecules.", "graphs"),
        ("Better Machine Translation", [], "", "language"),
        ("Denoising Diffusion for Images", [], "", "generative models"),  # tie 2:2, generative first
        ("Certified Robustness", ["adversarial examples"], "", "robustness & privacy"),
        ("On the Convergence of Adam", [], "", "optimization"),
        ("Generalization Bounds for Deep Nets", ["PAC-Bayes"], "", "theory"),
        ("Protein Folding", [], "", "science"),
        ("A Note", ["misc"], "Nothing to see.", OTHER),
    ],
)
def test_domain_rule(title: str, keywords: list[str], abstract: str, domain: str) -> None:
    assert classify(title, keywords, abstract).domain == domain


def test_domain_weights_keywords_over_title_over_abstract() -> None:
    call = classify("Image classification", ["reinforcement learning"], "vision vision vision")
    assert call.domain == "reinforcement learning"  # 3 (keywords) against 2 + 1 (title, abstract): a tie
    assert call.evidence == "reinforcement learning 3: keywords 'reinforcement learning'"
    assert classify("Image classification", [], "reinforcement learning").domain == "vision"
    assert classify("x", "", "").score == 0
