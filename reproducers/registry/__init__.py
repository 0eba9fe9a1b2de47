"""The paper registry: look a paper up by OpenReview forum id or alias (arXiv id, title slug)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from reproducers.errors import ReproductionUsageError
from reproducers.registry import lth, snip
from reproducers.registry.base import PaperSpec, Protocol
from reproducers.registry.loader import load_builtin

#: Built-in papers registered only as files (``papers/*.yaml``); lth and snip keep modules for the
#: Python names other code uses.
_FILES = ("grasp.yaml", "missing_mark.yaml")
_PAPERS: list[PaperSpec] = [lth.SPEC, snip.SPEC, *(load_builtin(name) for name in _FILES)]
_BUILT_IN = tuple(_PAPERS)

__all__ = ["PaperSpec", "Protocol", "all_papers", "get", "matches", "register", "unregister", "with_models"]


def register(spec: PaperSpec) -> PaperSpec:
    """Add a paper (e.g. one whose protocol runs the authors' own code) to the registry.

    Ids and aliases must stay unambiguous, so a clash with a registered paper is refused.
    """
    names = {_normalise(name) for name in (spec.id, *spec.aliases)}
    for known in _PAPERS:
        clash = names & {_normalise(name) for name in (known.id, *known.aliases)}
        if clash:
            raise ReproductionUsageError(f"{spec.id}: {', '.join(sorted(clash))} is already registered")
    _PAPERS.append(spec)
    return spec


def unregister(paper_id: str) -> None:
    """Remove a paper added with :func:`register` (the built-in papers stay)."""
    spec = get(paper_id)
    if spec in _BUILT_IN:
        raise ReproductionUsageError(f"{spec.id} is built in and cannot be unregistered")
    _PAPERS.remove(spec)


def all_papers() -> tuple[PaperSpec, ...]:
    """Every registered paper, in registration order."""
    return tuple(_PAPERS)


def get(paper_id_or_alias: str) -> PaperSpec:
    """The paper with this forum id or alias (case-insensitive, ``arXiv:`` prefix optional)."""
    key = _normalise(paper_id_or_alias)
    for spec in _PAPERS:
        if key in {_normalise(name) for name in (spec.id, *spec.aliases)}:
            return spec
    known = ", ".join(
        f"{spec.id} ({', '.join(spec.aliases)})" if spec.aliases else spec.id for spec in _PAPERS
    )
    raise ReproductionUsageError(f"unknown paper {paper_id_or_alias!r}; registered: {known}")


def with_models(spec: PaperSpec, protocol_name: str, models: Sequence[str]) -> PaperSpec:
    """The paper with protocol ``protocol_name`` narrowed to ``models`` (``audit reproduce --model``).

    Why: a paper protocol's models can differ by orders of magnitude in cost (LeNet-5-Caffe on CPU),
    and a reviewer with a budget runs the affordable one. State names do not involve the protocol, so
    a narrowed run and a full one share every state they have in common. The narrowing is recorded as
    a deviation of the protocol, so the report says what was left out; claims about the models left
    out have no runs and are not applicable.
    """
    protocol = spec.protocol(protocol_name)
    wanted = list(dict.fromkeys(models))
    if not wanted:
        return spec
    unknown = [m for m in wanted if m not in protocol.models]
    if protocol.upstream is not None or unknown:
        raise ReproductionUsageError(
            f"--model {', '.join(unknown or wanted)}: protocol {protocol_name!r} of {spec.id} trains "
            f"{', '.join(protocol.models) or 'the authors’ own models'}; choose among those"
        )
    chosen = tuple(m for m in protocol.models if m in wanted)  # the protocol's order
    left_out = [m for m in protocol.models if m not in chosen]
    if not left_out:
        return spec
    note = (
        f"Run with --model {' --model '.join(chosen)}: only {', '.join(chosen)} of this protocol's models "
        f"were trained ({', '.join(left_out)} left out), so claims about {', '.join(left_out)} are not "
        "applicable."
    )
    narrowed = replace(protocol, models=chosen, deviations=(*protocol.deviations, note))
    return replace(spec, protocols={**spec.protocols, protocol_name: narrowed})


def matches(spec: PaperSpec, name: str) -> bool:
    """Whether ``name`` is the paper's forum id or one of its aliases (as :func:`get` compares them)."""
    return _normalise(name) in {_normalise(n) for n in (spec.id, *spec.aliases)}


def _normalise(name: str) -> str:
    name = name.strip().lower()
    for prefix in ("arxiv:", "https://arxiv.org/abs/", "https://openreview.net/forum?id="):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name
