"""discussion.md: the user's own section: front matter, shifted headings, no raw HTML, embedded images."""

from __future__ import annotations

import base64
import os

import matplotlib.image as mpimg
import numpy as np
import pytest

from reports.reproduction.discussion import read_discussion
from reports.reproduction.identity import ReportInputError

TEXT = """---
authors: [Jane Q. Public, John Doe]
year: 2026
url: https://example.org/mlrc/snip
---
What was easy
=============

Running it: `audit reproduce B1VZqjAcYX`.

## What was difficult

<script>alert("x")</script> and [a trap](javascript:alert(1)) and [the paper](https://openreview.net/forum?id=B1VZqjAcYX).

```
# a comment in a code block, not a heading
```

![our figure](extra.png) ![remote](https://example.org/a.png) ![outside](../outside.png)
"""


def write_png(path):
    mpimg.imsave(path, np.zeros((4, 6, 3)))


def test_front_matter_headings_and_escaping(tmp_path):
    write_png(tmp_path / "extra.png")
    write_png(tmp_path.parent / "outside.png")
    (tmp_path / "discussion.md").write_text(TEXT)
    d = read_discussion(tmp_path)
    assert d.present and d.authors == ("Jane Q. Public", "John Doe") and d.year == 2026
    assert d.url == "https://example.org/mlrc/snip"
    # Markdown: headings two levels down (setext too), front matter gone, code block untouched
    lines = d.markdown.splitlines()
    assert lines[0] == "### What was easy" and "=============" not in d.markdown
    assert "#### What was difficult" in lines and "# a comment in a code block, not a heading" in lines
    assert "authors:" not in d.markdown
    # HTML: h3/h4, raw HTML escaped, javascript: never a link, real links kept
    assert "<h3>What was easy</h3>" in d.html and "<h4>What was difficult</h4>" in d.html
    assert "<script>" not in d.html and "&lt;script&gt;" in d.html
    assert 'href="javascript:' not in d.html
    assert '<a href="https://openreview.net/forum?id=B1VZqjAcYX">the paper</a>' in d.html
    # the folder's own image is embedded; a remote one and one outside the folder are not loaded
    data = d.html.split('src="data:image/png;base64,', 1)[1].split('"', 1)[0]
    assert base64.b64decode(data) == (tmp_path / "extra.png").read_bytes()
    assert d.html.count("<img") == 1
    assert "[image not embedded: remote]" in d.html and "[image not embedded: outside]" in d.html
    assert d.skipped_images == ("https://example.org/a.png", "../outside.png")


def test_a_symlinked_image_is_not_followed(tmp_path):
    secret = tmp_path.parent / "secret.png"
    write_png(secret)
    os.symlink(secret, tmp_path / "link.png")
    (tmp_path / "discussion.md").write_text("![x](link.png)\n")
    d = read_discussion(tmp_path)
    assert "<img" not in d.html and d.skipped_images == ("link.png",)


def test_no_file_means_no_discussion(tmp_path):
    d = read_discussion(tmp_path)
    assert not d.present and d.markdown == "" and d.authors == ()


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("authors: 3", "'authors' must be a list of names"),
        ("year: soon", "'year' must be a year such as 2025"),
        ("url: ftp://x", "'url' must be an http"),
        ("title: Mine", "unknown front matter key"),
        ("[a", "the front matter is not YAML"),
        ("- a", "must be a mapping"),
    ],
)
def test_bad_front_matter_is_one_line(tmp_path, front, message):
    (tmp_path / "discussion.md").write_text(f"---\n{front}\n---\nText\n")
    with pytest.raises(ReportInputError, match=message) as info:
        read_discussion(tmp_path)
    assert info.value.exit_code == 2 and "\n" not in str(info.value)


def test_not_utf8_is_one_line(tmp_path):
    (tmp_path / "discussion.md").write_bytes(b"caf\xe9\n")
    with pytest.raises(ReportInputError, match="is not UTF-8 text"):
        read_discussion(tmp_path)
