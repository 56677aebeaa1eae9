"""A session's place in an organization's assessment: which organization and round, who answers,
in which role, about which dimensions (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from agent.common.text import normalize
from agent.core.rubric import Rubric


class Attachment(BaseModel):
    """What `chat --org … --respondent … --role … --round … --dimensions …` (or the web page's start
    screen and invite link) attach a new session to."""

    organization: str
    round: str | None = None  # None: the current quarter
    respondent: str | None = None
    role: str | None = None
    scope: list[str] | None = None  # dimension ids the respondent is asked about (None: all)


class ScopeError(ValueError):
    """A --dimensions value names no dimension; the message lists them."""


def parse_scope(rubric: Rubric, text: str | Iterable[str] | None) -> list[str] | None:
    """Dimension ids from names or ids ("security, cost" or "Security & Governance"), in the
    rubric's order; None for none given."""
    if text is None:
        return None
    items = [p for p in (text.split(",") if isinstance(text, str) else text) if p.strip()]
    if not items:
        return None
    chosen: set[str] = set()
    for item in items:
        want = normalize(item)
        match = [d.id for d in rubric.dimensions
                 if want in (normalize(d.id), normalize(d.name)) or normalize(d.name).startswith(want)]
        if len(match) != 1:
            names = ", ".join(d.id for d in rubric.dimensions)
            raise ScopeError(f"{item.strip()!r} is not one dimension: use {names} (comma-separated).")
        chosen.add(match[0])
    return [d.id for d in rubric.dimensions if d.id in chosen]


def scope_of(values: Mapping[str, Any]) -> list[str] | None:
    """The dimensions a session's respondent is asked about, from its state (None: all of them)."""
    return (values.get("attachment") or {}).get("scope")


def in_scope(rubric: Rubric, scope: Iterable[str] | None) -> list[str]:
    """The question ids a respondent with this scope is asked (all twelve without one)."""
    dims = set(scope or (d.id for d in rubric.dimensions))
    return [q.id for q in rubric.questions if q.dimension in dims]
