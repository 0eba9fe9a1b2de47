"""README parsing (markdown-it-py, docutils), command recognition, and reading untrusted checkouts safely."""

from __future__ import annotations

from pathlib import Path

from crawlers.checklist.commands import commands_in
from crawlers.checklist.document import parse_markdown
from crawlers.checklist.rst import parse_rst
from tests.crawlers.checklist_repos import build, verdict

MARKDOWN = """# Paper

Intro with a bare link https://drive.google.com/file/d/abc/view and [a named one](https://x.org/p).

## Results

| Method | Acc. |
|---|---|
| ours | 91.2 |

<table><tr><th>Set</th><th>F1</th></tr><tr><td>dev</td><td><a href="https://x.org/r">88.0</a></td></tr></table>

### Commands

```bash
$ CUDA_VISIBLE_DEVICES=0 python -u train.py \\
    --epochs 10 && bash scripts/eval.sh; ./run.sh --mode=test
```

    wget https://h.org/w.pth
"""


def test_markdown_blocks_keep_lines_sections_links_and_tables() -> None:
    doc = parse_markdown(MARKDOWN, "README.md")
    kinds = [(b.kind, b.line, b.section) for b in doc.blocks]
    assert kinds == [
        ("heading", 1, ("Paper",)),
        ("paragraph", 3, ("Paper",)),
        ("heading", 5, ("Paper", "Results")),
        ("table", 7, ("Paper", "Results")),
        ("table", 11, ("Paper", "Results")),
        ("html", 11, ("Paper", "Results")),
        ("heading", 13, ("Paper", "Results", "Commands")),
        ("code", 16, ("Paper", "Results", "Commands")),
        ("code", 20, ("Paper", "Results", "Commands")),
    ]
    intro = doc.blocks[1]
    assert [link.url for link in intro.links] == [
        "https://x.org/p",
        "https://drive.google.com/file/d/abc/view",
    ]
    assert doc.blocks[3].rows == (("Method", "Acc."), ("ours", "91.2"))
    assert doc.blocks[4].rows == (("Set", "F1"), ("dev", "88.0"))
    assert doc.blocks[5].links[0].url == "https://x.org/r"


def test_commands_join_continuations_and_split_chains() -> None:
    found = [
        (c.line, c.program, c.target, c.args) for c in commands_in(parse_markdown(MARKDOWN, "README.md"))
    ]
    assert found == [
        (16, "python", "train.py", ("--epochs", "10")),
        (16, "shell", "scripts/eval.sh", ()),
        (16, "script", "./run.sh", ("--mode=test",)),
        (20, "download", "https://h.org/w.pth", ("https://h.org/w.pth",)),
    ]


RST = """Title
=====

Install
-------

Install with ``pip install -r requirements.txt`` or see `docs <https://x.org/docs>`_.

.. include:: /etc/passwd

.. raw:: html

   <script>alert(1)</script>

.. csv-table:: remote
   :url: http://127.0.0.1:9/never

.. code-block:: bash

    python main.py --test
"""


def test_rst_through_docutils_without_touching_files_or_urls() -> None:
    doc = parse_rst(RST, "README.rst")
    texts = " ".join(b.text for b in doc.blocks)
    assert "root:" not in texts and "alert" not in texts  # include and raw are disabled, nothing read
    assert [(b.kind, b.line) for b in doc.blocks] == [
        ("heading", 1),
        ("heading", 4),
        ("paragraph", 7),
        ("code", 20),
    ]
    assert doc.blocks[2].code_spans == ("pip install -r requirements.txt",)
    assert doc.blocks[2].links[0].url == "https://x.org/docs"
    assert doc.blocks[2].section == ("Title", "Install")
    assert [(c.program, c.target, c.args) for c in commands_in(doc)] == [
        ("install", "", ("install", "-r", "requirements.txt")),
        ("python", "main.py", ("--test",)),
    ]


def test_a_readme_that_docutils_cannot_parse_yields_no_blocks() -> None:
    assert parse_rst("Title\n=====\n\n.. [#] \n" + "`" * 5000, "README.rst").format == "rst"


def test_a_symlinked_readme_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text("| a | b |\n|---|---|\n| x | 1.0 |\n\n    python t.py\n")
    from crawlers.checklist import ChecklistJob, score
    from tests.crawlers.repo_factory import make_repo

    root, commit = make_repo(tmp_path / "repo", {"x.py": "x = 1\n"}, symlinks={"README.md": str(outside)})
    result = score(ChecklistJob("https://github.com/o/r", "", str(root), commit))
    assert result.readme == ""
    assert result.items["results"].verdict == "no"


def test_a_linked_sub_folder_is_scored_alone_with_paths_from_the_repository_root(tmp_path: Path) -> None:
    files = {
        "README.md": "# monorepo\n",
        "proj/README.md": "# Proj\n\n```\npython train.py\n```\n",
        "proj/train.py": "import torch\nopt = torch.optim.Adam([])\nopt.step()\n",
        "other/eval.py": "if __name__ == '__main__':\n    pass\n",
    }
    result = build(tmp_path, files, subpath="proj")
    assert result.status == "ok" and result.readme == "proj/README.md"
    assert verdict(result, "training") == ("yes", "proj/README.md:4")
    assert verdict(result, "evaluation") == ("no", "")  # other/ is another code base


def test_a_missing_sub_folder_scores_the_whole_repository(tmp_path: Path) -> None:
    result = build(
        tmp_path, {"README.md": "# r\n", "eval.py": "if __name__ == '__main__':\n    pass\n"}, subpath="gone"
    )
    assert result.status == "subpath_missing"
    assert verdict(result, "evaluation") == ("yes", "eval.py:1")


def test_python2_and_undecodable_files_still_count(tmp_path: Path) -> None:
    files = {
        "train.py": (
            "import tensorflow as tf\nprint 'epoch'\nopt = tf.train.AdamOptimizer(0.1)\n"
            "train_op = opt.minimize(loss)\n"
        ),
        "notes.py": b"# caf\xe9\nx = 1\n",
    }
    result = build(tmp_path, files)
    assert verdict(result, "training") == ("yes", "train.py:4")  # found by the line scan: .minimize(
