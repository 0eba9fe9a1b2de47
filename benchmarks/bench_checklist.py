"""Validation: the checklist rules against hand labels of real research repositories.

The labels (``docs/checklist-labels.csv``: repository, commit, one verdict per item, a reason) were
decided by reading each README and tree by hand, before the tool was run on them. This script runs
the real census steps on local checkouts of those commits, exactly as `audit census` would after
cloning: a ``repos.csv`` pointing at the checkouts, then `audit deps` and `audit checklist` (their
pipeline functions), then compares ``checklist.csv`` with the labels.

Checkouts are not part of the project (research code is never committed here): make a folder with
one ``<owner>/<repo>`` work tree per label row at the labelled commit, for example::

    git clone https://github.com/<owner>/<repo> checkouts/<owner>/<repo>
    git -C checkouts/<owner>/<repo> checkout <commit>

Usage::

    python benchmarks/bench_checklist.py --checkouts DIR [--labels docs/checklist-labels.csv]
        [--out DIR] [--markdown FILE]

Prints per-item agreement (three-way, and yes vs not-yes, which is what the census counts), Cohen's
kappa, the confusion matrix and every disagreement with the label's reason and the rule's note.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from statsmodels.stats.inter_rater import cohens_kappa  # noqa: E402

from crawlers.checklist.records import ITEMS, VERDICTS  # noqa: E402


def load_labels(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for item in ITEMS:
            if row[item] not in VERDICTS:
                raise SystemExit(f"{path}: {row['repo']}: {item} is {row[item]!r}, not one of {VERDICTS}")
    return rows


def prepare(labels: list[dict[str, str]], checkouts: Path, out: Path) -> None:
    """A census folder whose repos.csv points at the checkouts (status ok, the labelled commit)."""
    from crawlers.cloning import CloneResult, write_repos_csv

    results = []
    for row in labels:
        path = checkouts / row["repo"]
        if not path.is_dir():
            raise SystemExit(f"{path} is missing: check out {row['repo']} at {row['commit']} there")
        results.append(
            CloneResult(f"https://github.com/{row['repo']}", "ok", commit=row["commit"], path=str(path))
        )
    out.mkdir(parents=True, exist_ok=True)
    write_repos_csv(out / "repos.csv", results)


def kappa(pairs: list[tuple[str, str]]) -> float:
    table = [[sum(1 for a, b in pairs if a == x and b == y) for y in VERDICTS] for x in VERDICTS]
    try:
        return float(cohens_kappa(table, return_results=False))
    except (ValueError, ZeroDivisionError):
        return float("nan")


def compare(labels: list[dict[str, str]], checklist_csv: Path) -> str:
    with checklist_csv.open(newline="", encoding="utf-8") as handle:
        tool = {row["repo_url"].removeprefix("https://github.com/"): row for row in csv.DictReader(handle)}
    lines = [
        f"{len(labels)} hand-labelled repositories.",
        "",
        "| item | agree (yes/no/unclear) | agree (yes vs not yes) | Cohen's κ "
        "| labels yes/no/unclear | tool yes/no/unclear |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    disagreements: list[str] = []
    for item in ITEMS:
        pairs = [(row[item], tool[row["repo"]][item]) for row in labels]
        same = sum(a == b for a, b in pairs)
        binary = sum((a == "yes") == (b == "yes") for a, b in pairs)
        human, ours = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
        lines.append(
            f"| {item} | {same}/{len(pairs)} ({100 * same / len(pairs):.0f}%) | {binary}/{len(pairs)} "
            f"({100 * binary / len(pairs):.0f}%) | {kappa(pairs):.2f} | "
            f"{human['yes']}/{human['no']}/{human['unclear']} | "
            f"{ours['yes']}/{ours['no']}/{ours['unclear']} |"
        )
        for row in labels:
            mine = tool[row["repo"]]
            if row[item] != mine[item]:
                where = mine.get(f"{item}_file") or "—"
                disagreements.append(
                    f"- `{row['repo']}` **{item}**: label {row[item]}, tool {mine[item]} "
                    f"({mine.get(f'{item}_note') or 'no note'}; evidence {where}). Label: {row['note']}"
                )
    lines += ["", f"Disagreements ({len(disagreements)}):", "", *disagreements]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkouts", type=Path, required=True)
    parser.add_argument("--labels", type=Path, default=ROOT / "docs" / "checklist-labels.csv")
    parser.add_argument("--out", type=Path, help="census folder to write (default: a temporary one)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    args = parser.parse_args()

    from audit.pipelines import checklist, deps

    labels = load_labels(args.labels)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-checklist-"))
    prepare(labels, args.checkouts.resolve(), out)
    deps.run(out, workers=args.workers)
    checklist.run(out, workers=args.workers)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = f"Run of {stamp}\n\n" + compare(labels, out / "checklist.csv")
    print(report)
    if args.markdown:
        args.markdown.write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
