"""Shell commands written in a README: which program they run, on which script, with which options.

Commands come from code blocks (one per line, ``\\`` continuations joined, ``$``/``>`` prompts and
``VAR=value`` prefixes dropped, ``&&``/``;``/``|`` chains split) and from inline code spans and text
lines that read like a command. Nothing is ever run: this only reads what the authors wrote.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from crawlers.checklist.document import Block, Document

_PYTHON = re.compile(r"^(i?python(\d(\.\d+)?)?|py)$")
_SHELLS = {"bash", "sh", "zsh", "source", "."}
_WRAPPERS = {"sudo", "nohup", "time", "exec", "srun", "env", "stdbuf", "nice"}
#: Launchers whose first script argument is what really runs (``torchrun train.py``).
_LAUNCHERS = {
    "torchrun",
    "deepspeed",
    "accelerate",
    "horovodrun",
    "mpirun",
    "mpiexec",
    "python -m torch.distributed.launch",
}
_INSTALLERS = {"pip", "pip3", "conda", "mamba", "poetry", "pipenv", "uv"}
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SCRIPT = re.compile(r"[\w./{}$<>-]+\.(py|sh|ipynb|bash|lua|jl|m|r|R)$")
#: A text line that starts like a command (``python x.py``, ``bash run.sh``, ``./run.sh``).
_COMMAND_START = re.compile(
    r"^\s*(\$\s*)?((CUDA_VISIBLE_DEVICES|OMP_NUM_THREADS|PYTHONPATH)=\S*\s+)*"
    r"(i?python\d?(\.\d+)?\s+(-m\s+\S+|-u\s+\S+\.py|\S+\.py)|bash\s+\S+|sh\s+\S+\.sh|\./\S+|jupyter\s+\w+|"
    r"(pip3?|conda|poetry|pipenv)\s+(install|env|create)|docker\s+(build|run|pull)|make\b|(wget|curl|gdown)\s+\S+)"
)


@dataclass(frozen=True)
class Command:
    """One command: ``program`` is ``python``, ``shell``, ``script``, ``notebook``, ``install``, ``docker``,
    ``download`` (wget, curl, gdown...; ``target`` is the URL), ``make`` or ``other``; ``target`` the
    script, module or notebook it runs (empty when none)."""

    text: str
    program: str
    target: str = ""
    args: tuple[str, ...] = ()
    line: int = 0
    block: Block | None = None

    @property
    def runs_code(self) -> bool:
        """True for commands that run the authors' code (not installs)."""
        return self.program in {"python", "shell", "script", "notebook", "make"}

    def has_option(self, pattern: re.Pattern[str]) -> bool:
        """Whether an option name (``--eval``, ``--mode=test``'s value, ``-e``) matches ``pattern``."""
        for index, arg in enumerate(self.args):
            if not arg.startswith("-"):
                continue
            name, _, value = arg.lstrip("-").partition("=")
            if pattern.search(name) or (value and pattern.search(value)):
                return True
            valued = name in {"mode", "phase", "task", "do", "stage", "run"} and index + 1 < len(self.args)
            if valued and pattern.search(self.args[index + 1]):
                return True
        return False


def split_words(segment: str) -> list[str]:
    try:
        return shlex.split(segment, comments=True, posix=True)
    except ValueError:
        return segment.split()


def _strip_prefix(words: list[str]) -> list[str]:
    while words and (words[0] in {"$", ">", "%", "!", "#"} or _ENV.match(words[0]) or words[0] in _WRAPPERS):
        words = words[1:]
    if words and words[0].startswith(("$", "!", "%")) and len(words[0]) > 1:
        words = [words[0][1:], *words[1:]]
    return words


def classify(words: list[str]) -> tuple[str, str, tuple[str, ...]]:
    """(program, target, args) of one command's words."""
    words = _strip_prefix(words)
    if not words:
        return "other", "", ()
    head = words[0].rsplit("/", 1)[-1]
    args = tuple(words[1:])
    if _PYTHON.match(head):
        rest = [w for w in args if not re.match(r"^-[uOBW]$", w)]
        if rest[:2] and rest[0] == "-m" and len(rest) > 1:
            module = rest[1]
            if module == "pip":
                return "install", "", tuple(rest[2:])
            if module.startswith("torch.distributed"):
                return _first_script(rest[2:], "python")
            return "python", module, tuple(rest[2:])
        if rest and rest[0] == "setup.py":
            return (
                ("install", "setup.py", tuple(rest[1:]))
                if set(rest[1:]) & {"install", "develop"}
                else ("python", "setup.py", tuple(rest[1:]))
            )
        return _first_script(rest, "python")
    if head in _SHELLS:
        return ("shell", args[0], args[1:]) if args else ("other", "", ())
    if head in _INSTALLERS:
        return "install", "", args
    if head == "docker" or head == "nvidia-docker":
        return "docker", "", args
    if head in {"jupyter", "jupyter-notebook", "jupyter-lab"}:
        notebook = next((a for a in args if a.endswith(".ipynb")), "")
        return "notebook", notebook, args
    if head in {"wget", "curl", "gdown", "aria2c", "axel"} or (
        head in {"aws", "gsutil", "azcopy"} and "cp" in args
    ):
        url = next((a for a in args if a.startswith(("http://", "https://", "s3://", "gs://"))), "")
        return "download", url, args
    if head == "make":
        return "make", args[0] if args else "", args
    if head in _LAUNCHERS or head in {"accelerate", "deepspeed"}:
        return _first_script(list(args), "python")
    if ("/" in words[0] or words[0].startswith(".")) and _SCRIPT.match(words[0]):
        return "script", words[0], args
    if _SCRIPT.match(words[0]) and words[0].endswith((".sh", ".py")):
        return "script", words[0], args
    return "other", "", args


def _first_script(words: list[str], program: str) -> tuple[str, str, tuple[str, ...]]:
    for index, word in enumerate(words):
        if word.endswith(".py") or word.endswith(".ipynb"):
            return program, word, tuple(words[index + 1 :])
    return program, "", tuple(words)


def logical_lines(code: str) -> Iterator[tuple[int, str]]:
    """Lines of a code block with backslash continuations joined, with their offset in the block."""
    pending, start = "", 0
    for offset, raw in enumerate(code.splitlines()):
        line = raw.rstrip()
        if not pending:
            start = offset
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield start, pending + line
        pending = ""
    if pending:
        yield start, pending


def _segments(line: str) -> list[str]:
    return [s.strip() for s in re.split(r"&&|\|\||;|\|(?!\|)", line) if s.strip()]


def commands_in(document: Document) -> list[Command]:
    """Every command of a README, in document order."""
    found: list[Command] = []
    for block in document.blocks:
        if block.kind == "code":
            if block.info.lower() in {
                "python",
                "py",
                "ipython",
                "python3",
                "bibtex",
                "tex",
                "latex",
                "json",
                "yaml",
            }:
                continue
            for offset, line in logical_lines(block.text):
                found += _parse(line, block.line + offset, block)
        elif block.kind in {"paragraph", "list_item"}:
            for span in block.code_spans:
                found += _parse(span, block.line, block, strict=True)
            for offset, line in enumerate(block.text.splitlines()):
                if _COMMAND_START.match(line) and not any(
                    line.strip() in s or s in line for s in block.code_spans
                ):
                    found += _parse(line, block.line + offset, block, strict=True)
    return found


def _parse(line: str, number: int, block: Block, *, strict: bool = False) -> list[Command]:
    text = line.strip()
    if not text or text.startswith("#"):
        return []
    if strict and not _COMMAND_START.match(text):
        return []
    out = []
    for segment in _segments(text):
        words = split_words(segment)
        if words and words[0] == "cd":
            continue
        program, target, args = classify(words)
        if program != "other":
            out.append(Command(segment, program, target, args, number, block))
    return out
