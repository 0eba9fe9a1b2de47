"""JSON contracts: the documents a command reads back (environment.json, crawl.json, claims.json) and
the OpenReview notes a crawl turns into papers.csv.

Documents are validated like tables: known keys have types, unknown keys are allowed (the engine and
the runners add provenance freely). Notes are different: they come from a server or an export that
strangers filled in, so a wrongly typed field is *dropped* (read as missing) and counted instead of
stopping a crawl of thousands of papers; a note that is not an object, or has no id and no content
object, cannot be a submission and is skipped (:func:`repair_notes`).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from core.schemas import SchemaError
from core.schemas.cells import Integer, Name


class Document(BaseModel):
    """A JSON object whose known keys have types; other keys are kept."""

    model_config = ConfigDict(extra="allow")


class FailedSeed(Document):
    seed: int
    reason: str = ""


class EnvironmentDoc(Document):
    """environment.json of a reproduction folder (written by `audit reproduce`)."""

    paper_id: str | None = None
    protocol: str | None = None
    seeds: list[int] | None = None
    failed_seeds: list[FailedSeed] | None = None
    packages: dict[str, str | None] | None = None
    claims_hash: str | None = None
    runner: str | None = None
    protocol_config: dict[str, Any] | None = None


class ClaimsDoc(Document):
    """claims.json: the pre-registered claims (each one is checked by core.claims when it is built)."""

    paper_id: str = ""
    claims: list[dict[str, Any]]
    content_hash: str | None = None
    protocol: str | dict[str, Any] | None = None


class CrawlDoc(Document):
    """crawl.json: where papers.csv came from (written by `audit crawl`)."""

    venue: Name
    source: str | None = None
    rows: Integer = None
    accepted: Integer = None


#: The JSON documents by file name.
DOCUMENTS: dict[str, type[Document]] = {
    "environment.json": EnvironmentDoc,
    "claims.json": ClaimsDoc,
    "crawl.json": CrawlDoc,
}


def read_document(path: Path, name: str | None = None) -> dict[str, Any]:
    """The document as a dict (validated against its model, unknown keys kept)."""
    model = DOCUMENTS[name or path.name]
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SchemaError(path, f"is not UTF-8 (byte {exc.start})") from None
    except ValueError as exc:
        raise SchemaError(path, f"is not JSON ({' '.join(str(exc).split())[:120]})") from None
    if not isinstance(data, dict):
        raise SchemaError(path, f"holds a JSON {type(data).__name__}, not an object")
    try:
        model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"]) or "document"
        raise SchemaError(path, f"{where}: {error['msg']} (got {repr(error.get('input'))[:40]})") from None
    return data


# -- OpenReview notes -------------------------------------------------------------------------------


class NoteShape(BaseModel):
    """The fields of a note that the crawl reads, with the types the two APIs give them."""

    model_config = ConfigDict(extra="allow", strict=True)

    id: str | None = None
    forum: str | None = None
    number: int | None = None
    replyto: str | None = None
    invitation: str | None = None
    invitations: list[str] | None = None
    content: dict[str, Any]
    details: dict[str, Any] | None = None


#: Content fields read as text (a list of strings is also accepted) and those read as lists of names.
TEXT_CONTENT = ("title", "abstract", "code", "TL;DR", "TLDR", "pdf", "venue", "venueid", "decision")
LIST_CONTENT = ("authors", "keywords", "authorids")


@dataclass
class NoteRepairs:
    """What :func:`repair_notes` changed: dropped fields by name, skipped notes by reason."""

    dropped: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the log, or "" when every note was well formed."""
        parts = []
        if self.skipped:
            reasons = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items()))
            parts.append(f"{sum(self.skipped.values())} note(s) skipped ({reasons})")
        if self.dropped:
            fields_ = ", ".join(f"{name} ×{n}" for name, n in sorted(self.dropped.items()))
            parts.append(f"wrongly typed fields read as missing: {fields_}")
        return "; ".join(parts)


def _wrapped(value: Any) -> tuple[bool, Any]:
    if isinstance(value, dict) and "value" in value:
        return True, value["value"]
    return False, value


def _text_ok(value: Any) -> bool:
    return (
        value is None
        or isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(item, str) for item in value))
    )


def _repair_content(content: dict[str, Any], repairs: NoteRepairs) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, raw in content.items():
        _, value = _wrapped(raw)
        ok = _text_ok(value) if key in TEXT_CONTENT or key in LIST_CONTENT else True
        if not ok or not isinstance(key, str):
            repairs.dropped[f"content.{key}"] = repairs.dropped.get(f"content.{key}", 0) + 1
            continue
        if key in TEXT_CONTENT and isinstance(value, list):  # a title or link given as a list of strings
            joined = "\n".join(value)
            raw = {**raw, "value": joined} if isinstance(raw, dict) else joined
        clean[key] = raw
    return clean


def _repair_reply(reply: Any) -> dict[str, Any] | None:
    if not isinstance(reply, dict):
        return None
    reply = dict(reply)
    if not isinstance(reply.get("content"), dict):
        reply["content"] = {}
    for key in ("invitation",):
        if not isinstance(reply.get(key), str | None):
            reply.pop(key)
    if not isinstance(reply.get("invitations"), list | None):
        reply.pop("invitations")
    return reply


def repair_note(note: Any, repairs: NoteRepairs) -> dict[str, Any] | None:
    """A copy of ``note`` with wrongly typed fields removed, or None when it cannot be a submission."""
    if not isinstance(note, dict):
        repairs.skipped["not an object"] = repairs.skipped.get("not an object", 0) + 1
        return None
    note = dict(note)
    for _ in range(len(NoteShape.model_fields) + 1):
        try:
            NoteShape.model_validate(note)
            break
        except ValidationError as exc:
            bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            if "content" in bad:
                repairs.skipped["no content object"] = repairs.skipped.get("no content object", 0) + 1
                return None
            for name in bad:
                note.pop(name, None)
                repairs.dropped[name] = repairs.dropped.get(name, 0) + 1
    if not (note.get("id") or note.get("forum")):
        repairs.skipped["no id"] = repairs.skipped.get("no id", 0) + 1
        return None
    note["content"] = _repair_content(note["content"], repairs)
    details = note.get("details")
    if isinstance(details, dict) and "directReplies" in details:
        replies = details["directReplies"]
        cleaned = (_repair_reply(reply) for reply in replies) if isinstance(replies, list) else ()
        kept = [reply for reply in cleaned if reply]
        note["details"] = {**details, "directReplies": kept}
    return note


def repair_notes(notes: list[Any]) -> tuple[list[dict[str, Any]], NoteRepairs]:
    """Every note that can be a submission, each with its wrongly typed fields removed."""
    repairs = NoteRepairs()
    kept = [clean for note in notes if (clean := repair_note(note, repairs)) is not None]
    return kept, repairs


#: The shapes ``--from-file`` accepts, for error messages.
EXPORT_SHAPE = 'a JSON list of OpenReview notes or {"notes": [...]}, optionally gzip-compressed'


def read_notes_export(path: Path) -> list[dict[str, Any]]:
    """The notes of an export file (``--from-file``): plain or gzip JSON (told by its magic bytes), a
    list of notes or the API's ``{"notes": [...]}`` envelope, each item an object with an id or forum
    and a content object. The file is the user's input, like the venue id: a bad one is a usage error
    naming the first bad item. Wrongly typed fields inside a note are :func:`repair_notes`' job.
    """
    return export_notes(read_json_document(path), path)


def read_json_document(path: Path) -> Any:
    """The JSON document in ``path``, plain or gzip-compressed; a usage error when it is none."""
    try:
        raw = path.read_bytes()
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        return json.loads(text)
    except (OSError, EOFError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise SchemaError(path, f"cannot read it as {EXPORT_SHAPE}: {reason}") from None


def export_notes(data: Any, path: Path) -> list[dict[str, Any]]:
    """The notes of an export document already read (see :func:`read_notes_export`)."""
    notes = data.get("notes") if isinstance(data, dict) else data
    if not isinstance(notes, list):
        raise SchemaError(path, f"holds no list of notes; expected {EXPORT_SHAPE}")
    if not notes:
        raise SchemaError(path, f"holds an empty list of notes; expected {EXPORT_SHAPE}")
    for index, note in enumerate(notes):
        if not (
            isinstance(note, dict)
            and bool(note.get("id") or note.get("forum"))
            and isinstance(note.get("content"), dict)
        ):
            raise SchemaError(
                path,
                f"item {index} is not an OpenReview note (no id/forum and content); expected {EXPORT_SHAPE}",
            )
    return notes
