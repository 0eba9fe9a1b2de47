"""Item 4, pre-trained models.

- **yes**: a ``hubconf.py`` (PyTorch Hub); weight files in the checkout (``.pt``, ``.pth``, ``.ckpt``,
  ``.h5``, ``.onnx``, ``.safetensors``, TensorFlow checkpoint shards..., ``.pkl``/``.npz``/``.zip``
  only when their path says *model*, *weights*, *checkpoint* or *pretrained*, and any file in a folder
  named ``checkpoints``, ``saved_models``, ``pretrained``...); a link straight to a weight file; a link to
  a place that hosts files (GitHub release, Google Drive, Dropbox, OneDrive/SharePoint, Hugging Face,
  Zenodo, figshare, OSF, S3, Google Cloud Storage, Baidu Pan...) or to a weight file, next to words such
  as *pre-trained*, *checkpoint*, *weights*, *trained models*, *model zoo* (in the same paragraph, list
  item or table row, in its section title, or a table whose header names models); a download
  command or script (``download*``, ``*checkpoint*``, ``*pretrained*`` files) that names such a link;
- **unclear**: weights offered (*we provide*, *available*, *download*, *on request*) with a link to
  somewhere else or with no link;
- **no**: nothing, or weights announced as not available ("coming soon", "not yet available").

Links are only read, never followed: a release page counts as the release it names.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from crawlers.checklist.codebase import CodeBase
from crawlers.checklist.commands import commands_in
from crawlers.checklist.document import Block, Document
from crawlers.checklist.items.common import block_evidence, command_evidence
from crawlers.checklist.records import NO, UNCLEAR, YES, Evidence, ItemVerdict, snippet
from crawlers.dependencies.files import read_text, relative

ITEM = "pretrained"
WEIGHT_WORDS = re.compile(
    r"pre-?trained|pretrain|checkpoints?|\bckpts?\b|\bweights?\b(?!\s*(decay|sharing|matri|norm|space|init))|"
    r"trained (models?|agents?|networks?|policies)|model[ -]?zoo|model files?|saved models?|"
    r"download (the |our )?models?|models? download|released models?",
    re.I,
)
MODEL_WORD = re.compile(r"\bmodels?\b", re.I)
DATA_WORDS = re.compile(
    r"\b(data|dataset|datasets|features|embeddings?|glove|word2vec|corpus|images)\b", re.I
)
NOT_AVAILABLE = re.compile(
    r"coming soon|not (yet )?(be )?(available|released)|will be (released|available|uploaded)|"
    r"\bTBA\b|\bTBD\b|\bsoon\b",
    re.I,
)
HOSTS = (
    "drive.google.com",
    "docs.google.com",
    "dropbox.com",
    "dl.dropboxusercontent.com",
    "huggingface.co",
    "zenodo.org",
    "figshare.com",
    "osf.io",
    "amazonaws.com",
    "storage.googleapis.com",
    "blob.core.windows.net",
    "onedrive.live.com",
    "1drv.ms",
    "sharepoint.com",
    "box.com",
    "pan.baidu.com",
    "mega.nz",
    "cloud.tsinghua.edu.cn",
    "bitbucket.org",
)
#: extensions that only model weights use
STRONG_SUFFIXES = (
    ".pt", ".pth", ".ckpt", ".h5", ".hdf5", ".onnx", ".safetensors", ".caffemodel", ".t7", ".tflite",
    ".params", ".weights", ".pdparams", ".keras",
)  # fmt: skip
#: and those that hold weights only when the path also says so (WEIGHT_PATH, not DATA_PATH)
WEIGHT_SUFFIXES = (*STRONG_SUFFIXES, ".pb", ".mlmodel", ".npz", ".pkl", ".bin", ".tar", ".tar.gz", ".zip")
TF_CHECKPOINT = re.compile(r"\.(index|data-\d{5}-of-\d{5}|meta)$")
WEIGHT_PATH = re.compile(r"model|weight|checkpoint|ckpt|pretrain|trained|snapshot", re.I)
DATA_PATH = re.compile(
    r"(^|/)(data|datasets?|vocab\w*|embeddings?|glove)(/|$)|vocab|embedding|glove|_data\b|data_", re.I
)
DOWNLOADER = re.compile(r"download|checkpoint|pretrained|pre_trained|weights|model_zoo", re.I)


def is_host(url: str) -> bool:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    host = parts.netloc.lower().split("@")[-1].split(":")[0]
    if host.endswith("github.com") and "/releases" in parts.path:
        return True
    return any(host == h or host.endswith("." + h) for h in HOSTS)


def is_weight_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(STRONG_SUFFIXES) or bool(TF_CHECKPOINT.search(path))


#: Folders whose files are saved models whatever their extension (``model_save/model``).
WEIGHT_FOLDER = re.compile(
    r"^(checkpoints?|ckpts?|ckpt_dir|saved_models?|model_save|pretrained(_models?)?|pre_trained|weights|trained_models?|model_zoo)$",
    re.I,
)
NOT_WEIGHTS = (
    ".py",
    ".md",
    ".txt",
    ".json",
    ".yaml",
    ".yml",
    ".sh",
    ".cfg",
    ".ini",
    ".csv",
    ".log",
    ".ipynb",
    ".png",
    ".jpg",
    ".pdf",
)
AVAILABLE = re.compile(
    r"\bwe (provide|release|share|offer)|\b(are|is) (provided|available|released|shared|hosted)|available|"
    r"download|can be found|on request|upon request|contact|link",
    re.I,
)
ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".7z")
DOWNLOAD_TEXT = re.compile(r"download|model|weights?|ckpt|checkpoint|pretrained", re.I)


def _weight_file(path: str) -> bool:
    pure = PurePosixPath(path)
    lower = path.lower()
    if pure.name.startswith(".") or pure.name.lower() in {"readme", "license"}:
        return False
    if any(WEIGHT_FOLDER.match(part) for part in pure.parts[:-1]) and not lower.endswith(NOT_WEIGHTS):
        return True
    if lower.endswith(STRONG_SUFFIXES) or TF_CHECKPOINT.search(lower):
        return not (DATA_PATH.search(lower) and not WEIGHT_PATH.search(pure.name))
    return lower.endswith(WEIGHT_SUFFIXES) and bool(WEIGHT_PATH.search(lower)) and not DATA_PATH.search(lower)


def _context(blocks: tuple[Block, ...], index: int) -> str:
    """What a block is read next to: itself, up to two blocks before it in the same section (the
    sentence that introduces a list of links), its section titles and, for a table, its header rows."""
    block = blocks[index]
    parts = [block.text, *block.section]
    for previous in blocks[max(0, index - 2) : index]:
        if previous.section == block.section and previous.kind != "heading":
            parts.append(previous.text)
    if block.kind == "table":
        parts += [" ".join(row) for row in block.rows[:2]]
    return " ".join(parts)


def _own_docs(base: CodeBase) -> list[Document]:
    """The README and the code base's top-level documents: READMEs of sub-folders are often those of
    vendored frameworks (fairseq, transformers), whose model links are not the paper's."""
    root = relative(base.scan_root, base.repo_root) if base.scan_root != base.repo_root else ""
    own = []
    for document in base.docs:
        folder = str(PurePosixPath(document.path).parent)
        if document is base.readme or folder in {root or ".", "."}:
            own.append(document)
    return own


def _links(base: CodeBase) -> tuple[ItemVerdict | None, ItemVerdict | None]:
    """(a verdict from a weights link, or announced as unavailable; an unclear verdict from weights words)."""
    vague: ItemVerdict | None = None
    for document in _own_docs(base):
        blocks = document.blocks
        for index, block in enumerate(blocks):
            if block.kind == "heading":
                continue
            context = _context(blocks, index)
            header = " ".join(" ".join(row) for row in block.rows[:2]) if block.kind == "table" else ""
            words = WEIGHT_WORDS.search(context) or (header and MODEL_WORD.search(header))
            models = MODEL_WORD.search(block.text) and not DATA_WORDS.search(block.text)
            if WEIGHT_WORDS.search(block.text) and NOT_AVAILABLE.search(block.text) and not block.links:
                return ItemVerdict(
                    ITEM, NO, block_evidence(document, block), "pre-trained models announced as not available"
                ), None
            for link in block.links:
                archive = urlsplit(link.url).path.lower().endswith(ARCHIVES) and WEIGHT_WORDS.search(
                    block.text + link.text
                )
                if is_weight_url(link.url) or archive:
                    return ItemVerdict(
                        ITEM, YES, block_evidence(document, block, link=link.url), "link to a weight file"
                    ), None
                if not is_host(link.url):
                    continue
                # With data words in the block (a dataset download), the link itself must say weights.
                if (words or models or WEIGHT_WORDS.search(link.text)) and (
                    not DATA_WORDS.search(block.text) or DOWNLOAD_TEXT.search(link.text)
                ):
                    return ItemVerdict(
                        ITEM, YES, block_evidence(document, block, link=link.url), "link to hosted weights"
                    ), None
            if (
                vague is None
                and WEIGHT_WORDS.search(block.text)
                and AVAILABLE.search(block.text)
                and not DATA_WORDS.search(block.text)
            ):
                link = block.links[0].url if block.links else ""
                why = (
                    "weights offered with a link that is not a file host"
                    if link
                    else "weights offered without a link"
                )
                vague = ItemVerdict(ITEM, UNCLEAR, block_evidence(document, block, link=link), why)
    return None, vague


def _downloads(base: CodeBase) -> ItemVerdict | None:
    for document in _own_docs(base):
        blocks = document.blocks
        for command in commands_in(document):
            if (
                command.program != "download"
                or not command.target.startswith("http")
                or command.block is None
            ):
                continue
            context = _context(blocks, blocks.index(command.block))
            if is_weight_url(command.target) or (is_host(command.target) and WEIGHT_WORDS.search(context)):
                evidence = replace(command_evidence(document, command), link=command.target)
                return ItemVerdict(ITEM, YES, evidence, "README command downloads weights")
    for facts in base.facts:
        name = PurePosixPath(facts.path).name
        if facts.kind in {"python", "shell"} and DOWNLOADER.search(name) and not DATA_PATH.search(name):
            for signal in facts.urls:
                weighty = WEIGHT_PATH.search(name) or WEIGHT_PATH.search(urlsplit(signal.what).path)
                if is_weight_url(signal.what) or (is_host(signal.what) and weighty):
                    return ItemVerdict(
                        ITEM,
                        YES,
                        Evidence(file=facts.path, line=signal.line, link=signal.what),
                        "download script for weights",
                    )
    return None


def _text_pointers(base: CodeBase) -> ItemVerdict | None:
    """Small text files such as ``download_checkpoint.txt`` whose body points to hosted weights."""
    for path in base.files:
        name = PurePosixPath(path).name
        if not name.lower().endswith(".txt") or not DOWNLOADER.search(name):
            continue
        text = read_text(base.repo_root / path, limit=200_000)
        for number, line in enumerate(text.splitlines(), start=1):
            for url in re.findall(r"https?://\S+", line):
                if is_host(url) or is_weight_url(url):
                    return ItemVerdict(
                        ITEM,
                        YES,
                        Evidence(file=path, line=number, snippet=snippet(line), link=url),
                        "file pointing to hosted weights",
                    )
    return None


def judge(base: CodeBase) -> ItemVerdict:
    # torch.hub.load("owner/repo") reads hubconf.py at the repository root only (a vendored
    # framework's hubconf.py serves that framework's models, not the paper's).
    root = relative(base.scan_root, base.repo_root) if base.scan_root != base.repo_root else ""
    hub = [f for f in base.files if f in {"hubconf.py", f"{root}/hubconf.py"}]
    if hub:
        facts = base.facts_of(hub[0])
        line = facts.entry_line if facts and facts.entry_line > 1 else 1
        return ItemVerdict(
            ITEM,
            YES,
            Evidence(file=hub[0], line=line, snippet="PyTorch Hub entry points"),
            "hubconf.py (PyTorch Hub)",
        )
    weights = [f for f in base.files if _weight_file(f) and not (base.repo_root / f).is_symlink()]
    if weights:
        note = f"{len(weights)} weight file(s) in the checkout"
        return ItemVerdict(
            ITEM, YES, Evidence(file=weights[0], snippet=snippet(", ".join(weights[:3]))), note
        )
    linked, vague = _links(base)
    if linked is not None and linked.verdict == YES:
        return linked
    found = _downloads(base) or _text_pointers(base)
    if found is not None:
        return found
    if linked is not None:
        return linked
    return vague or ItemVerdict(ITEM, NO, note="no weights, weight links or download scripts")
