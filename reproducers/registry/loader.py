"""Registration files → PaperSpec: safe parsing, schema validation, one-line errors naming field and claim.

A registration file is data a participant writes (or downloads), so it is parsed defensively before
the schema sees it: at most 1 MiB; YAML through a safe loader that refuses anchors and aliases (no
"billion laughs") and duplicate keys (which YAML would otherwise resolve silently to the last one),
and reads ``1e-3`` as the number YAML 1.2 says it is (PyYAML, a YAML 1.1 parser, reads it as a
string); TOML through :mod:`tomllib`. Any problem becomes one :class:`RegistrationError` line,
``FILE: claim 'ID' (claims[3]): delta: Input should be a finite number``, exit code 2.

The built-in papers are such files, shipped as package data (``reproducers/registry/papers/``).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from core.claims import Claim
from reproducers.errors import ReproductionUsageError
from reproducers.registry.base import PaperSpec, Protocol
from reproducers.registry.schema import ClaimModel, ProtocolModel, RegistrationModel, duplicate_ids
from reproducers.training import Schedule

MAX_BYTES = 1 << 20
SUFFIXES = (".yaml", ".yml", ".toml")


class RegistrationError(ReproductionUsageError):
    """A registration file that cannot be used; one line, exit code 2."""


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader without aliases or duplicate keys, with YAML 1.2 floats (``1e-3``, ``5e-4``)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases are not accepted", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _parse(text: str, suffix: str) -> Any:
    if suffix == ".toml":
        return tomllib.loads(text)
    return yaml.load(text, Loader=_SafeLoader)


def _where(data: Any, loc: tuple[Any, ...]) -> str:
    """'claim 'ID' (claims[3])' / 'protocol 'quick'' / 'paper' for the start of an error location."""
    if not loc:
        return "file"
    head = loc[0]
    if head == "claims" and len(loc) > 1 and isinstance(loc[1], int):
        claims = data.get("claims") if isinstance(data, dict) else None
        claim = claims[loc[1]] if isinstance(claims, list) and loc[1] < len(claims) else None
        claim_id = claim.get("id") if isinstance(claim, dict) else None
        label = f"claim {claim_id!r} " if isinstance(claim_id, str) else "claim "
        return f"{label}(claims[{loc[1]}])"
    if head == "protocols" and len(loc) > 1:
        return f"protocol {loc[1]!r}"
    return str(head)


_UNION_TAGS = {"str", "int", "float", "bool", "list", "dict", "none", "literal", "function-after"}


def _describe(data: Any, error: dict[str, Any]) -> str:
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and part in _UNION_TAGS))
    where = _where(data, loc)
    skip = 2 if loc and loc[0] in ("claims", "protocols") else 1
    field = ".".join(str(p) for p in loc[skip:])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field (a typo?)"
    elif error["type"] == "missing":
        message = "missing (required)"
    if "input" in error and error["type"] not in ("missing", "extra_forbidden"):
        shown = repr(error["input"])
        if len(shown) <= 40 and not isinstance(error["input"], dict | list):
            message += f" (got {shown})"
    return f"{where}: {field}: {message}" if field else f"{where}: {message}"


def _first_errors(data: Any, exc: ValidationError) -> str:
    seen, lines = set(), []
    for error in exc.errors(include_url=False):
        line = _describe(data, error)
        if line not in seen:
            seen.add(line)
            lines.append(line)
    more = f" (and {len(lines) - 1} more problem(s))" if len(lines) > 1 else ""
    return lines[0] + more


def read_registration(path: Path) -> tuple[RegistrationModel, bytes]:
    """The validated model of a registration file and its bytes; RegistrationError (one line) if unusable."""
    path = Path(path)
    name = path.name
    if path.suffix.lower() not in SUFFIXES:
        raise RegistrationError(f"{name}: a registration is a .yaml, .yml or .toml file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RegistrationError(f"{path}: cannot read the registration ({exc.strerror or exc})") from None
    return validate(raw, name, path.suffix.lower()), raw


def validate(raw: bytes, name: str, suffix: str = ".yaml", *, check_plans: bool = True) -> RegistrationModel:
    """Parse and validate the bytes of a registration (``name`` is only used in messages).

    ``check_plans`` also checks each protocol's ``experiment`` against ``reproducers.plans.PLANS``;
    the built-in files skip it at import time (that module imports the registry) and a test checks them.
    """
    if len(raw) > MAX_BYTES:
        raise RegistrationError(f"{name}: larger than {MAX_BYTES // 1024} KiB; not a registration")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RegistrationError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = _parse(text, suffix)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise RegistrationError(f"{name}: not valid YAML ({where}{exc.problem or exc.context})") from None
    except (yaml.YAMLError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise RegistrationError(f"{name}: not valid {suffix.lstrip('.').upper()} ({exc})") from None
    if not isinstance(data, dict):
        raise RegistrationError(
            f"{name}: the top level must be a mapping (registration, paper, protocols, claims)"
        )
    try:
        model = RegistrationModel.model_validate(data)
    except ValidationError as exc:
        raise RegistrationError(f"{name}: {_first_errors(data, exc)}") from None
    _cross_check(model, name, check_plans)
    return model


def _cross_check(model: RegistrationModel, name: str, check_plans: bool) -> None:
    """What one claim cannot see: duplicate ids, protocols named but not declared, known plans."""
    ids = [c.id for c in model.claims]
    for index, first in duplicate_ids(ids).items():
        raise RegistrationError(
            f"{name}: claim {ids[index]!r} (claims[{index}]): id: duplicate of claims[{first}]"
        )
    for index, claim in enumerate(model.claims):
        unknown = [p for p in claim.protocols if p not in model.protocols]
        if unknown:
            known = ", ".join(model.protocols)
            raise RegistrationError(
                f"{name}: claim {claim.id!r} (claims[{index}]): protocols: {', '.join(unknown)} is not a "
                f"protocol of this file (known: {known})"
            )
    from reproducers.models import INITS, MODELS

    plans: dict[str, Any] = {}
    if check_plans:
        from reproducers.plans import PLANS as plans
    for protocol_name, protocol in model.protocols.items():
        where = f"{name}: protocol {protocol_name!r}"
        if check_plans and protocol.experiment not in plans:
            known = ", ".join(sorted(plans))
            raise RegistrationError(
                f"{where}: experiment: unknown plan {protocol.experiment!r} (known: {known})"
            )
        bad = [m for m in protocol.models if m not in MODELS]
        if bad:
            raise RegistrationError(f"{where}: models: unknown {', '.join(bad)} (known: {', '.join(MODELS)})")
        if protocol.init not in INITS:
            raise RegistrationError(f"{where}: init: unknown {protocol.init!r} (known: {', '.join(INITS)})")


def _protocol(name: str, p: ProtocolModel) -> Protocol:
    schedule = Schedule(**{**p.schedule.model_dump(), "lr_milestones": tuple(p.schedule.lr_milestones)})
    return Protocol(
        name=name,
        description=p.description,
        experiment=p.experiment,
        dataset=p.dataset,
        split=(p.split[0], p.split[1], p.split[2]),
        models=tuple(p.models),
        init=p.init,
        schedule=schedule,
        cost=p.cost,
        prune_rates=dict(p.prune_rates),
        rounds=p.rounds,
        reinit_rounds=tuple(p.reinit_rounds),
        sparsities=tuple(p.sparsities),
        random_sparsities=tuple(p.random_sparsities),
        snip_batch=p.snip_batch,
        methods=tuple(p.methods),
        sanity_checks=tuple(p.sanity_checks),
        samples_per_class=p.samples_per_class,
        grasp_temperature=p.grasp_temperature,
        synflow_iterations=p.synflow_iterations,
        deviations=tuple(p.deviations),
    )


def _claim(c: ClaimModel) -> Claim:
    fields = c.model_dump()
    fields["protocols"] = tuple(c.protocols)
    if fields["delta"] is None:  # a directional claim: δ is not used; keep the contract's default
        del fields["delta"]
    return Claim(**fields)


def to_spec(model: RegistrationModel, *, file_name: str = "", raw: bytes = b"") -> PaperSpec:
    """The in-memory registration the engine runs (the Python ``PaperSpec`` API)."""
    paper = model.paper
    return PaperSpec(
        id=paper.id,
        title=paper.title,
        venue=paper.venue,
        code_url=paper.code_url,
        claims=tuple(_claim(c) for c in model.claims),
        protocols={name: _protocol(name, p) for name, p in model.protocols.items()},
        aliases=tuple(paper.aliases),
        arxiv=paper.arxiv,
        notes=paper.notes,
        authors=tuple(paper.authors),
        year=paper.year,
        code_differences=tuple(paper.code_differences),
        registration_file=file_name,
        registration_sha256=hashlib.sha256(raw).hexdigest() if raw else "",
    )


def load(path: Path) -> PaperSpec:
    """A registration file as a PaperSpec; RegistrationError (one line, exit 2) if it is unusable."""
    model, raw = read_registration(path)
    return to_spec(model, file_name=Path(path).name, raw=raw)


def load_builtin(name: str) -> PaperSpec:
    """A registration shipped with the package (``reproducers/registry/papers/<name>``)."""
    resource = resources.files("reproducers.registry") / "papers" / name
    raw = resource.read_bytes()
    return to_spec(validate(raw, name, Path(name).suffix, check_plans=False), file_name=name, raw=raw)
