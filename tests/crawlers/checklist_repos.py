"""Helpers for the checklist tests: a real git repository from a dict of files, scored as a census would."""

from __future__ import annotations

from pathlib import Path

from crawlers.checklist import ChecklistJob, CodeBaseChecklist, DeclaredFile, score
from tests.crawlers.repo_factory import make_repo

URL = "https://github.com/owner/repo"

TRAIN_LOOP = (
    "import argparse\n"
    "import torch\n"
    "\n"
    "def main():\n"
    "    parser = argparse.ArgumentParser()\n"
    "    parser.add_argument('--epochs', type=int, default=10)\n"
    "    args = parser.parse_args()\n"
    "    model = torch.nn.Linear(2, 2)\n"
    "    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
    "    for _ in range(args.epochs):\n"
    "        loss = model(torch.zeros(1, 2)).sum()\n"
    "        loss.backward()\n"
    "        optimizer.step()\n"
    "\n"
    "if __name__ == '__main__':\n"
    "    main()\n"
)


def build(
    tmp_path: Path,
    files: dict[str, str | bytes],
    *,
    subpath: str = "",
    declared: tuple[DeclaredFile, ...] = (),
) -> CodeBaseChecklist:
    """Commit ``files`` to a fresh repository and score it (declared files as `audit deps` would report)."""
    root, commit = make_repo(tmp_path / "repo", files)
    return score(ChecklistJob(URL, subpath, str(root), commit, declared))


def verdict(result: CodeBaseChecklist, item: str) -> tuple[str, str]:
    """(verdict, evidence location) of one item."""
    found = result.items[item]
    return found.verdict, found.evidence.location
