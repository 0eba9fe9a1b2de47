"""The published ICLR 2020 tooling census (a 2020 blog post), for the comparison table.

Its numbers: 687 accepted papers, 344 with code, 268 on GitHub, 237 repositories parsed from their
requirements.txt (pipreqs otherwise); 154 PyTorch, 95 TensorFlow (83 parsed + 12 assumed from
google-research / tensorflow owners), 23 Keras, counted with a substring match on tool names.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Venue the published census covered; the comparison is shown only for it.
BASELINE_VENUE = "ICLR.cc/2020/Conference"


@dataclass(frozen=True)
class BaselineFigure:
    """One published number, the census key it compares with, and why the two may differ."""

    key: str
    label: str
    published: int
    note: str


FIGURES: tuple[BaselineFigure, ...] = (
    BaselineFigure("accepted", "Accepted papers", 687, "Same population: accepted papers on OpenReview."),
    BaselineFigure(
        "with_code",
        "Accepted papers with a code link",
        344,
        "Non-empty code field as crawled now; authors added or changed links after the 2020 snapshot.",
    ),
    BaselineFigure(
        "github_links",
        "Code links on github.com",
        268,
        "Here: links whose host is github.com (owner-only links included, *.github.io pages excluded).",
    ),
    BaselineFigure(
        "parsed",
        "Repositories parsed",
        237,
        "Baseline: requirements.txt, else pipreqs; here: ≥1 dependency from declared files or imports.",
    ),
    BaselineFigure(
        "pytorch",
        "Using PyTorch",
        154,
        "Baseline: substring 'torch' in tool names; here: the framework rule of `audit deps`.",
    ),
    BaselineFigure(
        "tensorflow",
        "Using TensorFlow",
        95,
        "Baseline: 83 parsed + 12 assumed from the repository owner; here: parsed repositories only.",
    ),
    BaselineFigure(
        "keras",
        "Using Keras",
        23,
        "Baseline: substring 'keras' (also tf-keras helpers); here: the `keras` package itself.",
    ),
)

#: The one-line explanation printed under the table.
SUMMARY = (
    "Differences come from when the links were read (later edits on OpenReview), which links count as "
    "repositories (normalised clone URLs, de-duplicated), and how dependencies were found (declared "
    "files plus imports here, requirements.txt or pipreqs there) and classified (a package rule here, "
    "a substring match and owner-based guesses there)."
)
