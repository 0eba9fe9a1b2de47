"""The schema of a registration file (YAML or TOML): a paper's identity, its protocols and its claims.

A Reproducibility Challenge participant registers a paper by writing such a file, not Python; it is
validated here before anything runs (pydantic, strict: no string is silently read as a number, no
unknown field is ignored, no NaN or infinity passes), and :mod:`reproducers.registry.loader` turns it
into the in-memory :class:`~reproducers.registry.base.PaperSpec` that the engine runs. The file format
is documented field by field in docs/DESIGN.md ("Registration files"); the JSON Schema is
``audit papers --schema``.

Rules beyond types, each with the field it concerns:

* claims: ids unique; every ``protocols`` entry names a protocol of the file; ``condition`` and
  ``baseline`` keys are runs.csv columns; ``metric`` is a numeric runs.csv column;
* per kind: ``single``/``figure`` need ``reported``; ``mean_std`` needs ``reported``,
  ``reported_std`` and ``reported_spread``, and ``reported_n`` ≥ 2 where the paper says how many runs
  are behind it (left out when it does not: the mean is then judged as one draw, and the verdict says
  so); ``min_max`` needs ``reported_min`` ≤
  ``reported_max``; ``relation``/``ratio`` need a ``baseline`` and (relation) a ``direction``; a
  ``greater``/``less`` claim takes a ``margin`` and no ``delta``; every other claim states ``delta``;
* every claim whose margin is not 0 says why (``delta_reason``): the margin is part of the
  pre-registration, and a reader must be able to judge it;
* ratios stay positive: an equivalence region ``reported ± delta`` must lie above 0;
* protocols: ``pai`` (pruning at initialisation) names its ``methods``; ``sanity_checks`` only go
  with ``pai``; ``reinit_rounds`` lie within ``rounds``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.claims import METRIC_BOUNDS, RUN_COLUMNS

#: The version of the file format this schema reads (the ``registration`` key of a file).
FORMAT_VERSION = 1

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"
#: Columns a claim may use as its metric: the numeric ones of runs.csv.
METRICS = tuple(c for c in RUN_COLUMNS if c in METRIC_BOUNDS or c in ("wall_s", "iterations"))
#: Columns a condition may select on.
CONDITION_COLUMNS = tuple(RUN_COLUMNS)

Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Name = Annotated[str, Field(pattern=ID_PATTERN)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(gt=0, lt=1)]
Condition = dict[Annotated[str, Field(max_length=80)], str | bool | int | float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class PaperModel(_Strict):
    """Who wrote the paper and where it is; ``id`` is the OpenReview forum id."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{4,40}$")]
    title: Text
    venue: Text
    code_url: Annotated[str, Field(pattern=r"^https://[^\s]+$")]
    authors: list[Text] = []
    year: Annotated[int, Field(ge=1950, le=2100)] | None = None
    aliases: list[Annotated[str, Field(min_length=1, max_length=200)]] = []
    arxiv: Annotated[str, Field(pattern=r"^$|^\d{4}\.\d{4,5}$")] = ""
    notes: str = ""
    #: where the authors' code differs from the paper's text (recorded, shown in the report)
    code_differences: list[Text] = []


class ScheduleModel(_Strict):
    """``reproducers.training.Schedule``: every field is part of the trained state's hash."""

    optimizer: Literal["adam", "sgd"]
    lr: Positive
    batch_size: Annotated[int, Field(ge=1)]
    iterations: Annotated[int, Field(ge=1)]
    eval_every: Annotated[int, Field(ge=1)]
    momentum: NonNegative = 0.0
    weight_decay: NonNegative = 0.0
    lr_milestones: list[Annotated[int, Field(ge=1)]] = []
    lr_gamma: Positive = 0.1
    report_at: Literal["early_stop", "final"] = "final"


class ProtocolModel(_Strict):
    """One way to rerun the paper; ``experiment`` names a plan of ``reproducers.plans``."""

    description: Text
    experiment: Name
    dataset: Literal["mnist", "mnist5k", "cifar10"]
    split: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=3, max_length=3)]
    models: Annotated[list[Name], Field(min_length=1)]
    init: Name
    schedule: ScheduleModel
    cost: Text
    prune_rates: dict[Name, Annotated[float, Field(ge=0, lt=1)]] = {}
    rounds: Annotated[int, Field(ge=0, le=100)] = 0
    reinit_rounds: list[Annotated[int, Field(ge=1)]] = []
    sparsities: list[Fraction] = []
    random_sparsities: list[Fraction] = []
    snip_batch: Annotated[int, Field(ge=1)] = 100
    #: pai: the pruning-at-initialisation methods, the sanity checks run on each method's mask, the
    #: examples per class SNIP and GraSP score, GraSP's temperature and SynFlow's iterations
    methods: list[Literal["magnitude", "snip", "grasp", "synflow"]] = []
    sanity_checks: list[Literal["shuffle", "reinit", "invert"]] = []
    samples_per_class: Annotated[int, Field(ge=1)] = 10
    grasp_temperature: Positive = 200.0
    synflow_iterations: Annotated[int, Field(ge=1)] = 100
    #: where this protocol knowingly departs from the paper (shown in the report's methodology)
    deviations: list[Text] = []

    @model_validator(mode="after")
    def _rounds(self) -> ProtocolModel:
        late = [k for k in self.reinit_rounds if k > self.rounds]
        if late:
            raise ValueError(f"reinit_rounds {late} lie beyond rounds = {self.rounds}")
        if self.experiment == "pai" and not self.methods:
            raise ValueError("methods: a pai protocol names the methods it prunes with")
        if self.sanity_checks and self.experiment != "pai":
            raise ValueError("sanity_checks: only a pai protocol runs sanity checks")
        return self


class ClaimModel(_Strict):
    """One claim, as :class:`core.claims.Claim` (see there for the meaning of each field)."""

    id: Name
    statement: Text
    kind: Literal["single", "mean_std", "min_max", "relation", "ratio", "figure"]
    condition: Annotated[Condition, Field(min_length=1)]
    source: Text
    protocols: Annotated[list[Name], Field(min_length=1)]
    metric: str = "test_accuracy"
    reported: float | None = None
    reported_std: NonNegative | None = None
    reported_n: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    reported_spread: Literal["std", "sem", "ci95"] | None = None
    reported_min: float | None = None
    reported_max: float | None = None
    baseline: Condition | None = None
    direction: Literal["greater", "less", "equivalent", "non_inferior"] | None = None
    margin: float | None = None
    delta: NonNegative | None = None
    delta_reason: str = ""
    alpha: Annotated[float, Field(gt=0, lt=0.5)] = 0.05
    verified: bool = False
    role: Literal["paper", "control"] = "paper"
    sparsity_measure: Literal["mask", "effective"] = "mask"
    notes: str = ""

    @model_validator(mode="after")
    def _kind_fields(self) -> ClaimModel:
        for field, columns in (("condition", self.condition), ("baseline", self.baseline or {})):
            unknown = sorted(set(columns) - set(CONDITION_COLUMNS))
            if unknown:
                raise ValueError(f"{field}: {', '.join(unknown)} is not a runs.csv column")
        if self.metric not in METRICS:
            known = ", ".join(METRICS)
            raise ValueError(f"metric: {self.metric!r} is not a numeric runs.csv column ({known})")
        kind, directional = self.kind, self.direction in ("greater", "less")
        needs = {
            "single": ("reported",),
            "figure": ("reported",),
            "mean_std": ("reported", "reported_std", "reported_spread"),
            "min_max": ("reported_min", "reported_max"),
            "relation": ("baseline", "direction"),
            "ratio": ("baseline",),
        }[kind]
        missing = [f for f in needs if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {kind} claim needs {', '.join(missing)}")
        if kind in ("single", "figure", "mean_std", "min_max"):
            extra = [f for f in ("baseline", "direction", "margin") if getattr(self, f) is not None]
            if extra:
                raise ValueError(f"{', '.join(extra)}: not used by a {kind} claim")
        if kind == "mean_std" and self.reported_n is not None and self.reported_n < 2:
            raise ValueError("reported_n: a mean ± spread needs at least 2 runs")
        if kind == "min_max" and self.reported_min > self.reported_max:  # type: ignore[operator]
            raise ValueError("reported_min is above reported_max")
        if directional and self.delta is not None:
            raise ValueError(f"delta: a {self.direction!r} claim has no δ; its boundary is 'margin'")
        if not directional and self.margin is not None:
            raise ValueError("margin: only 'greater' and 'less' claims have a margin; others use delta")
        if not directional and self.delta is None:
            raise ValueError(f"delta: a {kind} claim must state its margin δ (and why, in delta_reason)")
        uses_margin = (self.delta or 0) > 0 or (self.margin or 0) != 0
        if uses_margin and not self.delta_reason.strip():
            raise ValueError("delta_reason: say why the margin is what it is (the paper's spread, rounding…)")
        if kind == "ratio":
            self._ratio_region()
        return self

    def _ratio_region(self) -> None:
        direction = self.direction or "equivalent"
        if direction in ("equivalent", "non_inferior"):
            ref = 1.0 if self.reported is None else self.reported
            if ref - (self.delta or 0) <= 0:
                raise ValueError("reported − delta must stay above 0: a ratio region cannot include 0")
        elif self.margin is not None and self.margin <= 0:
            raise ValueError("margin: a ratio's boundary must be above 0")


class RegistrationModel(_Strict):
    """A whole file: format version, the paper, its protocols by name, its claims."""

    registration: Literal[1]
    paper: PaperModel
    protocols: Annotated[dict[Name, ProtocolModel], Field(min_length=1)]
    claims: Annotated[list[ClaimModel], Field(min_length=1, max_length=10_000)]


def duplicate_ids(ids: list[str]) -> dict[int, int]:
    """{index: index of its first occurrence} for every repeated claim id."""
    first: dict[str, int] = {}
    repeated = {}
    for index, claim_id in enumerate(ids):
        if claim_id in first:
            repeated[index] = first[claim_id]
        else:
            first[claim_id] = index
    return repeated
