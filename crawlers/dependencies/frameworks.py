"""Deep-learning frameworks of a code base: which it *uses*, the *role* each plays, and its *primary* one.

**Uses** (unchanged since the first census): a code base uses framework F when its used package set
(every import plus every non-optional declared requirement; extras and dev groups do not count)
contains one of F's distributions. Names are compared after the alias table's :func:`canonical`
(``tensorflow-gpu`` → ``tensorflow``, ``pytorch`` → ``torch``, ``mxnet-cu101`` → ``mxnet``), by exact
name, never a substring (``'torch' in name`` would count ``pytorch-msssim``):

- pytorch: ``torch``, ``torchvision``, ``torchaudio``, ``torchtext``, ``pytorch-lightning``, ``lightning``,
  ``torch-geometric`` (and ``torch-scatter``/``-sparse``/``-cluster``/``-spline-conv``); torchvision alone
  counts, since it cannot run without torch.
- tensorflow: the ``tensorflow`` family (``-gpu``, ``-cpu``, ``tf-nightly``, ``-macos``, ``-rocm``,
  ``intel-tensorflow``...). ``tf.keras`` is TensorFlow.
- keras: ``keras`` (and ``keras-nightly``) only; ``from tensorflow import keras`` imports ``tensorflow``.
- jax: ``jax``, ``jaxlib``, ``flax``, ``dm-haiku``, ``objax``, ``optax``, ``equinox``.
- mxnet: ``mxnet`` and its builds, ``gluonnlp``, ``gluoncv``. theano: ``theano``, ``theano-pymc``,
  ``lasagne``. chainer: ``chainer``, ``chainerrl``, ``chainercv``. paddlepaddle: ``paddlepaddle(-gpu)``.

**Evidence** per used framework: where it is declared; how many of the project's *own* files import it
at module level and how many only inside functions; and the files where it appears only in an optional
``try/except ImportError`` block, in tests, examples or conversion scripts, or only inside a vendored
copy of another distribution (see :mod:`.layout`). Notebooks are own files (their cells run at module
level).

**Primary** (one per code base, or none when no framework is used): among frameworks with own files,
a non-optional declaration, or test/example files, the highest of the score
``(own files, declared, module-level own files, test + example files)``, compared in that order;
exact ties go to the first of :data:`TIE_ORDER` (Keras before TensorFlow: code written in Keras on its
TensorFlow backend imports both in the same files). Optional imports, conversion scripts and
vendored copies never make a framework primary.

**Role** of each used framework: ``primary``; ``secondary`` (own files import it); ``declared``
(declared, but no own file imports it); else where its only imports are: ``examples``, ``tests``,
``optional``, ``conversion``, ``vendored``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from crawlers.dependencies.aliases import canonical

FRAMEWORKS: dict[str, frozenset[str]] = {
    "pytorch": frozenset(
        {
            "torch",
            "torchvision",
            "torchaudio",
            "torchtext",
            "pytorch-lightning",
            "lightning",
            "torch-geometric",
            "torch-scatter",
            "torch-sparse",
            "torch-cluster",
            "torch-spline-conv",
        }
    ),
    "tensorflow": frozenset({"tensorflow"}),
    "keras": frozenset({"keras"}),
    "jax": frozenset({"jax", "jaxlib", "flax", "dm-haiku", "objax", "optax", "equinox"}),
    "mxnet": frozenset({"mxnet", "gluonnlp", "gluoncv"}),
    "theano": frozenset({"theano", "theano-pymc", "lasagne"}),
    "chainer": frozenset({"chainer", "chainerrl", "chainercv"}),
    "paddlepaddle": frozenset({"paddlepaddle"}),
}

FRAMEWORK_NAMES = tuple(FRAMEWORKS)

#: Who wins an exact tie of the primary score.
TIE_ORDER = ("pytorch", "keras", "tensorflow", "jax", "mxnet", "theano", "chainer", "paddlepaddle")

#: Roles in the order the rule assigns them.
ROLES = ("primary", "secondary", "declared", "examples", "tests", "optional", "conversion", "vendored")


def framework_of(package: str) -> str | None:
    """The framework a distribution belongs to (after the alias table's canonical name), if any."""
    name = canonical(package)
    return next((fw for fw, members in FRAMEWORKS.items() if name in members), None)


def frameworks_of(packages: Iterable[str]) -> dict[str, bool]:
    """``{framework: used}`` for every framework in :data:`FRAMEWORK_NAMES`, from PEP 503 names."""
    found = {framework_of(p) for p in packages}
    return {name: name in found for name in FRAMEWORK_NAMES}


@dataclass
class Evidence:
    """What one code base shows about one framework.

    ``files`` maps each importing file to ``(category, context, notebook)``: category from
    :mod:`.layout` (own, tests, examples, conversion, vendored), the strongest import context of the
    file from :mod:`.imports` (module, function, optional, typing).
    """

    declared: list[str] = field(default_factory=list)
    declared_optional: list[str] = field(default_factory=list)
    files: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    vendored: set[str] = field(default_factory=set)

    def _count(self, category: str, contexts: tuple[str, ...] | None = None) -> int:
        return sum(
            1 for c, ctx, _ in self.files.values() if c == category and (not contexts or ctx in contexts)
        )

    @property
    def module_files(self) -> int:
        return self._count("own", ("module",))

    @property
    def function_files(self) -> int:
        return self._count("own", ("function",))

    @property
    def own_files(self) -> int:
        return self.module_files + self.function_files

    @property
    def optional_files(self) -> int:
        return self._count("own", ("optional", "typing"))

    @property
    def notebook_files(self) -> int:
        return sum(1 for c, ctx, nb in self.files.values() if nb and c == "own" and ctx != "optional")

    def elsewhere(self) -> dict[str, int]:
        """Counts of importing files outside the own module/function code, by kind (non-zero only)."""
        counts = {
            "notebooks": self.notebook_files,
            "optional": self.optional_files,
            "tests": self._count("tests"),
            "examples": self._count("examples"),
            "conversion": self._count("conversion"),
            "vendored": self._count("vendored"),
        }
        return {kind: n for kind, n in counts.items() if n}

    def score(self) -> tuple[int, int, int, int]:
        return (
            self.own_files,
            int(bool(self.declared)),
            self.module_files,
            self._count("tests") + self._count("examples"),
        )

    def role(self) -> str:
        """The role, primary aside (see the module docstring)."""
        if self.own_files:
            return "secondary"
        if self.declared:
            return "declared"
        for kind in ("examples", "tests"):
            if self._count(kind):
                return kind
        if self.optional_files or self.declared_optional:
            return "optional"
        if self._count("conversion"):
            return "conversion"
        return "vendored" if self._count("vendored") else ""


@dataclass
class Attribution:
    """Uses, evidence, roles and the primary framework of one code base."""

    uses: dict[str, bool]
    evidence: dict[str, Evidence]
    primary: str = ""
    primary_reason: str = ""

    def role(self, framework: str) -> str:
        if framework == self.primary:
            return "primary"
        if not self.uses.get(framework) and framework not in self.evidence:
            return ""
        return self.evidence[framework].role() if framework in self.evidence else ""


def describe(framework: str, evidence: Evidence) -> str:
    """One line of evidence: ``pytorch: 14 own files import it (...); declared in requirements.txt:3``."""
    parts = []
    if evidence.own_files:
        parts.append(
            f"{evidence.own_files} own file{'s import' if evidence.own_files != 1 else ' imports'} it "
            f"({evidence.module_files} at module level, {evidence.function_files} only in functions)"
        )
    if evidence.declared:
        parts.append("declared in " + ", ".join(evidence.declared[:3]))
    for kind, count in evidence.elsewhere().items():
        if kind == "vendored":
            parts.append(f"imported in {count} files of vendored {', '.join(sorted(evidence.vendored))}")
        elif kind != "notebooks":
            parts.append(f"{count} {kind} file{'s' if count != 1 else ''}")
    return f"{framework}: " + ("; ".join(parts) or "no evidence")


def attribute(uses: dict[str, bool], evidence: dict[str, Evidence]) -> Attribution:
    """Pick the primary framework by the documented rule and give the reason in words."""
    eligible = {
        fw: ev.score()
        for fw, ev in evidence.items()
        if uses.get(fw) and (ev.own_files or ev.declared or ev.score()[3])
    }
    result = Attribution(uses, evidence)
    if not eligible:
        return result
    best = max(eligible.values())
    primary = next(fw for fw in TIE_ORDER if eligible.get(fw) == best)
    others = [describe(fw, evidence[fw]) for fw in FRAMEWORK_NAMES if fw != primary and fw in eligible]
    reason = describe(primary, evidence[primary])
    if others:
        reason += " | others: " + " | ".join(others)
    result.primary, result.primary_reason = primary, reason
    return result
