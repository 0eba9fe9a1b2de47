"""What each code file of a checkout does, read with ``ast`` (never imported, never run).

For every ``.py`` file, notebook and shell script: is it an entry point (a ``__main__`` guard, an
argument parser, top-level statements, a notebook), does it train (optimiser steps, ``backward``,
``fit``, ``minimize``, framework trainers, ``train(...)`` calls, ``--epochs``/``--lr`` options), does it
evaluate inside a loop (``model.eval()``, ``no_grad``, ``--eval_every``) or offer an evaluation mode
(``--eval``, ``--test``, ``--mode`` with a test choice, help text such as "only test"), is it a unit test,
and which URLs it names. Files that do not parse (Python 2) are read line by line with the same
patterns, so they still count.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from crawlers.checklist.commands import classify, logical_lines, split_words
from crawlers.dependencies.files import read_text, relative

#: Method names whose call trains a model.
TRAIN_METHODS = {
    "backward": "gradient",
    "minimize": "optimizer",
    "apply_gradients": "optimizer",
    "compute_gradients": "gradient",
    "fit": "fit",
    "fit_generator": "fit",
    "train_on_batch": "fit",
    "zero_grad": "optimizer",
}
LOAD_CALLS = re.compile(
    r"(^|\.)(load_state_dict|load_weights|load_model|restore|load_checkpoint|from_pretrained)$|^torch\.load$"
)
#: Callables whose construction or call trains (framework trainers, optimisers, gradient transforms).
TRAIN_CALLS = re.compile(
    r"(^|\.)(Trainer|GradientTape|value_and_grad|grad|model_train|train_step|train_epoch|"
    r"\w*Optimizer|SGD|Adam|AdamW|RMSprop|Adagrad)$"
)
TRAIN_FUNCTION = re.compile(r"^(train|fit|learn|pretrain|finetune|fine_tune)(_\w+)?$")
EVAL_FUNCTION = re.compile(r"^(eval|evaluate|evaluation|test|validate|validation|inference|predict)(_\w+)?$")
TRAIN_OPTION = re.compile(
    r"(^|_)(n_?)?epochs?($|_)|^lr$|(^|_)lr($|_)|learning.?rate|train.?steps|(num|max|n).?iter|^iterations$|total_frames|num_timesteps"
)
EVAL_MODE_OPTION = re.compile(
    r"^(eval|evaluate|evaluation|test|testing|inference|infer|predict|(eval|test|evaluate)_?only|"
    r"only_?(eval|test)|do_?(eval|test)|is_?(eval|test)|run_?(eval|test)|validate|val_?only)$"
)
EVAL_LOOP_OPTION = re.compile(
    r"^(eval|test|val|valid|validation)_?(freq|every|interval|period|steps|rate|epochs?)$"
)
MODE_OPTION = re.compile(r"^(mode|phase|run_?mode|stage|task_?mode|action)$")
EVAL_WORDS = re.compile(r"\b(test|testing|eval|evaluate|evaluation|inference|predict)\b", re.I)
HELP_EVAL = re.compile(
    r"(only|directly|just)\s+(test|eval)|(test|eval\w*)\s+only|no training|without training|"
    r"false to (test|eval)",
    re.I,
)
URL = re.compile(r"https?://[^\s'\"<>()]+")
_ENTRY_CALLS = re.compile(
    r"(ArgumentParser|app\.run|tf\.app\.run|fire\.Fire|hydra\.main|absl\.app\.run|main)$"
)


@dataclass(frozen=True)
class Signal:
    """A line of a file and what was seen there (``loss.backward()``, ``--epochs option``).

    Training signals have a ``kind``: ``optimizer`` (optimiser construction or step, ``minimize``),
    ``fit`` (``fit``, trainers), ``call`` (a ``train(...)`` call), ``gradient`` (``backward``,
    ``GradientTape``: also used for saliency maps and attacks, so not training alone) or ``option``.
    """

    line: int
    what: str
    kind: str = ""


#: Training signal kinds that show training on their own (``gradient`` needs an ``option`` too).
TRAINING_KINDS = frozenset({"optimizer", "fit", "call"})


@dataclass
class FileFacts:
    """What one file of the code base shows; ``path`` is relative to the repository root."""

    path: str
    kind: str  # python | notebook | shell | config
    entry_point: bool = False
    entry_line: int = 1
    train: list[Signal] = field(default_factory=list)
    eval_loop: list[Signal] = field(default_factory=list)
    eval_mode: list[Signal] = field(default_factory=list)
    unit_test: bool = False
    urls: list[Signal] = field(default_factory=list)
    loads: list[Signal] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)
    parsed: bool = True

    @property
    def trains(self) -> bool:
        """Training on its own: an optimiser, fit/trainer, train() call, or gradients with options."""
        kinds = {s.kind for s in self.train}
        return bool(kinds & TRAINING_KINDS) or {"gradient", "option"} <= kinds

    @property
    def stem(self) -> str:
        return Path(self.path).stem.lower()


def _name(node: ast.AST) -> str:
    """Dotted text of a call target (``torch.optim.SGD``), or the last attribute."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(_name(node.func) + "()")
    return ".".join(reversed(parts))


def _strings(node: ast.AST | None) -> list[str]:
    if node is None:
        return []
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


class _Visitor(ast.NodeVisitor):
    def __init__(self, facts: FileFacts, offset: int = 0) -> None:
        self.facts = facts
        self.offset = offset

    def _at(self, node: ast.AST) -> int:
        return getattr(node, "lineno", 1) + self.offset

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        last = name.rsplit(".", 1)[-1]
        receiver = name.rsplit(".", 1)[0].lower() if "." in name else ""
        line = self._at(node)
        if last in TRAIN_METHODS:
            self.facts.train.append(Signal(line, f"{name}()", TRAIN_METHODS[last]))
        elif last == "step" and re.search(r"opt|trainer|updater", receiver):
            self.facts.train.append(Signal(line, f"{name}()", "optimizer"))
        elif last == "train" and re.search(r"trainer|learner|solver|agent|runner|algo", receiver):
            self.facts.train.append(Signal(line, f"{name}()", "call"))
        elif last == "train" and re.search(r"model|net", receiver):
            self.facts.train.append(Signal(line, f"{name}()", "gradient"))  # a mode switch: weak alone
        elif TRAIN_CALLS.search(name) and (last != "grad" or receiver.endswith("jax")):
            kind = (
                "gradient"
                if last in {"GradientTape", "value_and_grad", "grad"}
                else "fit"
                if last == "Trainer"
                else "optimizer"
            )
            self.facts.train.append(Signal(line, f"{name}()", kind))
        elif TRAIN_FUNCTION.match(last) and not receiver:
            self.facts.train.append(Signal(line, f"{name}()", "call"))
        if LOAD_CALLS.search(name):
            self.facts.loads.append(Signal(line, f"{name}()"))
        if last in {"eval", "no_grad", "evaluate", "predict", "inference_mode"} or (
            EVAL_FUNCTION.match(last) and last not in {"eval"}
        ):
            self.facts.eval_loop.append(Signal(line, f"{name}()"))
        if last == "add_argument" or last.startswith("DEFINE_") or name in {"click.option", "option"}:
            self._option(node, line)
        if _ENTRY_CALLS.search(name) and name != "main":
            self.facts.entry_point = True
        for value in _strings(node):
            for url in URL.findall(value):
                self.facts.urls.append(Signal(line, url))
        self.generic_visit(node)

    def _option(self, node: ast.Call, line: int) -> None:
        names = [s for s in _strings(ast.Tuple(elts=list(node.args[:2]), ctx=ast.Load())) if s]
        if not names:
            return
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        option = max(names, key=len).lstrip("-").replace("-", "_").lower()
        choices = " ".join(_strings(keywords.get("choices")) + _strings(keywords.get("default")))
        help_text = " ".join(_strings(keywords.get("help")))
        if node.args[2:3] and not keywords.get("help"):  # absl: DEFINE_x(name, default, help)
            help_text = " ".join(
                _strings(node.args[2]) + _strings(node.args[3] if len(node.args) > 3 else None)
            )
        label = f"--{option} option"
        if TRAIN_OPTION.search(option):
            self.facts.train.append(Signal(line, label, "option"))
        if EVAL_LOOP_OPTION.match(option):
            self.facts.eval_loop.append(Signal(line, label))
        elif EVAL_MODE_OPTION.match(option) or (
            MODE_OPTION.match(option) and EVAL_WORDS.search(choices + " " + help_text)
        ):
            self.facts.eval_mode.append(Signal(line, label))
        elif HELP_EVAL.search(help_text):
            self.facts.eval_mode.append(Signal(line, f"{label} ({' '.join(help_text.split())[:60]})"))


def _is_main_guard(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If) and "__main__" in _strings(node.test) and "__name__" in ast.dump(node.test)
    )


def _script_statement(node: ast.stmt) -> bool:
    """Top-level work other than imports, definitions, constants and docstrings: a script."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return False
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return isinstance(node.value, ast.Call) and "parse_args" in ast.dump(node.value)
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Call)
    if isinstance(node, (ast.If, ast.Try)):
        return _is_main_guard(node) if isinstance(node, ast.If) else False
    return isinstance(node, (ast.For, ast.While, ast.With))


def _scan_python(source: str, facts: FileFacts, offset: int = 0) -> bool:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    _Visitor(facts, offset).visit(tree)
    script = next((node.lineno for node in tree.body if _script_statement(node)), None)
    if script is not None:
        facts.entry_point = True
        facts.entry_line = script + offset
    names = {
        alias.name.split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom))
        for alias in n.names
    }
    modules = {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            facts.imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            facts.imports.add(base)
            facts.imports.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    tests = {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}
    classes = any(
        isinstance(n, ast.ClassDef) and any("TestCase" in ast.dump(b) for b in n.bases) for n in tree.body
    )
    facts.unit_test = facts.unit_test or bool(
        ((names | modules) & {"pytest", "unittest"}) and (tests or classes)
    )
    return True


_LINE_PATTERNS = (
    ("train", re.compile(r"\.(minimize|apply_gradients|fit|train_on_batch|zero_grad)\s*\(")),
    ("train", re.compile(r"add_argument\(\s*['\"]-{0,2}(n_?epochs?|epochs?|lr|learning[_-]rate)['\"]")),
    ("eval_loop", re.compile(r"\.eval\(\)|no_grad\(\)|\.evaluate\(")),
    (
        "eval_mode",
        re.compile(r"add_argument\(\s*['\"]-{1,2}(eval|evaluate|test|test[_-]only|eval[_-]only)['\"]"),
    ),
)


_TOP_LEVEL_WORK = re.compile(r"^(print\b|for\b|while\b|with\b|[A-Za-z_][\w.]*\()")


def _scan_lines(source: str, facts: FileFacts) -> None:
    """The fallback for files ``ast`` rejects (Python 2): the main patterns, line by line."""
    for number, line in enumerate(source.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        guard = "__name__" in line and "__main__" in line
        if guard or (not facts.entry_point and _TOP_LEVEL_WORK.match(line)):
            facts.entry_point, facts.entry_line = True, number
        for bucket, pattern in _LINE_PATTERNS:
            match = pattern.search(line)
            if match:
                kind = (
                    ("option" if "add_argument" in match.group(0) else "optimizer")
                    if bucket == "train"
                    else ""
                )
                getattr(facts, bucket).append(Signal(number, match.group(0).strip(), kind))
        for url in URL.findall(line):
            facts.urls.append(Signal(number, url))


def _main_line(source: str) -> int:
    for number, line in enumerate(source.splitlines(), start=1):
        if line.startswith("if") and "__name__" in line and "__main__" in line:
            return number
    return 0


def scan_python(path: Path, repo_root: Path) -> FileFacts:
    facts = FileFacts(relative(path, repo_root), "python")
    source = read_text(path, limit=2_000_000)
    if not _scan_python(source, facts):
        facts.parsed = False
        _scan_lines(source, facts)
        return facts
    guard = _main_line(source)
    if guard:
        facts.entry_point, facts.entry_line = True, guard
    return facts


def scan_notebook(path: Path, repo_root: Path) -> FileFacts:
    """Code cells parsed one by one; a signal's line is the cell number (evidence ``nb.ipynb:cell<N>``)."""
    facts = FileFacts(relative(path, repo_root), "notebook", entry_point=True)
    try:
        cells = json.loads(read_text(path, limit=50_000_000) or "{}").get("cells", [])
    except (ValueError, AttributeError):
        cells = []
    for number, cell in enumerate(cells if isinstance(cells, list) else [], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines())
        cell_facts = FileFacts(facts.path, "notebook")
        if not _scan_python(code, cell_facts):
            _scan_lines(code, cell_facts)
        for bucket in ("train", "eval_loop", "eval_mode", "urls", "loads"):
            getattr(facts, bucket).extend(Signal(number, s.what, s.kind) for s in getattr(cell_facts, bucket))
        facts.imports |= cell_facts.imports
    return facts


def scan_shell(path: Path, repo_root: Path) -> FileFacts:
    """A shell script is an entry point; the Python it runs with training or evaluation options counts."""
    facts = FileFacts(relative(path, repo_root), "shell", entry_point=True)
    for offset, line in logical_lines(read_text(path, limit=1_000_000)):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        program, target, args = classify(split_words(stripped))
        number = offset + 1
        if program in {"python", "script"} and target:
            options = [
                a.lstrip("-").split("=")[0].replace("-", "_").lower() for a in args if a.startswith("-")
            ]
            stem = Path(target).stem.lower()
            if any(TRAIN_OPTION.search(o) for o in options) or "train" in stem:
                facts.train.append(Signal(number, stripped[:120], "call"))
            if any(EVAL_MODE_OPTION.match(o) for o in options) or EVAL_FUNCTION.match(stem):
                facts.eval_mode.append(Signal(number, stripped[:120]))
        for url in URL.findall(stripped):
            facts.urls.append(Signal(number, url))
    return facts


_CONFIG_EVAL = re.compile(r"^\s*(evaluate|eval_only|test_only|do_eval|do_test|evaluation_only)\s*:", re.I)


def scan_config(path: Path, repo_root: Path) -> FileFacts:
    """A YAML config with an evaluation switch (PyMARL's ``evaluate: False``) offers an evaluation mode."""
    facts = FileFacts(relative(path, repo_root), "config")
    for number, line in enumerate(read_text(path, limit=200_000).splitlines(), start=1):
        if _CONFIG_EVAL.match(line):
            facts.eval_mode.append(Signal(number, line.strip()[:80]))
    return facts
