"""The web page's start screen for organizations: the round fields (organization, round, name, role,
dimensions) — typed, or filled in by an invite link from `aiops-assess org invite` — checked and
turned into the Attachment a session's first reply joins the round with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gradio as gr

from agent.common.safe_text import printable
from agent.core.attachment import Attachment, ScopeError, parse_scope
from agent.core.org_names import OrgNameError, org_slug, round_name
from agent.core.rubric import Rubric
from agent.storage.organizations import OrgStore

# The start screen's fields, also the invite link's query parameters (?org=…&round=…&role=…).
START_FIELDS = ("org", "round", "respondent", "role", "dimensions")
_LABELS = {"round": "Round", "respondent": "Your name", "role": "Your role", "dimensions": "Dimensions"}
MAX_FIELD = 120


class StartProblem(ValueError):
    """The start screen's fields cannot start a round's session as typed; the message says why."""


def clean_field(value: object) -> str:
    """A start-screen field as kept: one printable line, at most MAX_FIELD characters."""
    return printable(value or "", newlines=False)[:MAX_FIELD].strip()


def invite_fields(query: Mapping[str, str] | None) -> dict[str, str]:
    """The start-screen fields an invite link fills in (its non-empty query parameters)."""
    found = {k: clean_field((query or {}).get(k)) for k in START_FIELDS}
    return {k: v for k, v in found.items() if v}


def session_fields(values: Mapping) -> dict[str, str]:
    """The start-screen fields of a started session: its round, else the organization it names."""
    a = values.get("attachment") or {}
    if not a:
        return {"org": values.get("organization") or ""}
    return {"org": a.get("organization") or "", "round": a.get("round") or "",
            "respondent": a.get("respondent") or "", "role": a.get("role") or "",
            "dimensions": ",".join(a.get("scope") or [])}


def start_scope(rubric: Rubric, fields: Mapping[str, str]) -> list[str] | None:
    """The dimensions the start screen asks about (None: all, or not valid yet)."""
    try:
        return parse_scope(rubric, fields.get("dimensions") or None)
    except ScopeError:
        return None


def start_attachment(rubric: Rubric, fields: Mapping[str, str]) -> Attachment | None:
    """The round a new session joins, from the start screen (None: no organization, the page's
    plain interview). StartProblem for a field the round cannot take."""
    org = fields.get("org") or ""
    if not org:
        given = [_LABELS[k] for k in START_FIELDS[1:] if fields.get(k)]
        if given:
            named = f"{', '.join(given[:-1])} and {given[-1]}" if len(given) > 1 else given[0]
            raise StartProblem(f"{named} belong{'' if len(given) > 1 else 's'} to an organization's assessment "
                               "round: fill in Organization too, or clear them.")
        return None
    try:
        org_slug(org)
    except OrgNameError:
        raise StartProblem(f"“{org}” is not an organization name: give letters or digits, e.g. Acme Retail.") from None
    try:
        rnd = round_name(fields.get("round") or None)
        scope = parse_scope(rubric, fields.get("dimensions") or None)
    except (OrgNameError, ScopeError) as exc:
        raise StartProblem(str(exc)) from None
    return Attachment(organization=org, round=rnd, respondent=fields.get("respondent") or None,
                      role=fields.get("role") or None, scope=scope)


def check_joinable(store: OrgStore, session: str, attachment: Attachment) -> None:
    """StartProblem when the session is attached to another round already (a first reply that
    failed after joining one, then the fields were changed)."""
    p = store.participation(session)
    if p is None or (p.organization == org_slug(attachment.organization) and p.round == attachment.round):
        return
    raise StartProblem(f"This session already belongs to {p.organization_name}, round {p.round}. "
                       f"Press New assessment to answer for {attachment.organization}, round {attachment.round}.")


class StartScreen:
    """The start screen's fields per session name (typed, or from an invite link) until the
    session's first reply starts it; then they are in its state (its attachment)."""

    MAX_KEPT = 10_000  # tabs that never replied: the oldest are forgotten

    def __init__(self, rubric: Rubric) -> None:
        self.rubric = rubric
        self._fields: dict[str, dict[str, str]] = {}

    def fields(self, name: str) -> dict[str, str]:
        return self._fields.get(name, {})

    def set(self, name: str, key: str, value: object) -> None:
        """One field typed (an empty one is forgotten)."""
        if not name or key not in START_FIELDS:
            return
        fields = self._fields.setdefault(name, {})
        cleaned = clean_field(value)
        if cleaned:
            fields[key] = cleaned
        else:
            fields.pop(key, None)
        if not fields:
            self._fields.pop(name, None)
        while len(self._fields) > self.MAX_KEPT:
            self._fields.pop(next(iter(self._fields)))

    def invite(self, name: str, fields: Mapping[str, str]) -> str | None:
        """An invite link's fields for a new session; what is wrong with them, if anything."""
        for key, value in fields.items():
            self.set(name, key, value)
        try:
            start_attachment(self.rubric, self.fields(name))
        except StartProblem as exc:
            return str(exc)
        return None

    def forget(self, name: str) -> None:
        self._fields.pop(name, None)

    def scope(self, name: str) -> list[str] | None:
        return start_scope(self.rubric, self.fields(name))

    def attachment(self, name: str) -> Attachment | None:
        return start_attachment(self.rubric, self.fields(name))

    @staticmethod
    def build(c: dict[str, Any]) -> None:
        """The fields, in a row above the chat (components into `c`)."""
        with gr.Row(elem_id="aiops-start"):
            c["org"] = gr.Textbox(label="Organization (optional: on the report; joins its assessment round)",
                                  max_lines=1, placeholder="e.g. Petwell Vet Clinics", elem_id="aiops-org", scale=3)
            c["round"] = gr.Textbox(label="Round", max_lines=1, placeholder="default: this quarter, e.g. 2026-Q4",
                                    elem_id="aiops-round", scale=2)
            c["respondent"] = gr.Textbox(label="Your name", max_lines=1, elem_id="aiops-respondent", scale=2)
            c["role"] = gr.Textbox(label="Your role", max_lines=1, placeholder="e.g. Security lead",
                                   elem_id="aiops-role", scale=2)
            c["dimensions"] = gr.Textbox(label="Dimensions", max_lines=1, placeholder="all; or e.g. security,cost",
                                         elem_id="aiops-dimensions", scale=2)
