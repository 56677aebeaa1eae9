"""The interview's state, as the checkpointer stores it after every step.

Plain JSON-able data only (dicts of pydantic dumps), so a session file can be read back by any
later version and by `aiops-assess sessions` without the graph.
"""

from __future__ import annotations

import operator
from typing import Annotated, Literal, TypedDict

Phase = Literal["interview", "confirm", "report", "done"]


class Message(TypedDict):
    role: Literal["assistant", "user"]
    content: str


class InterviewState(TypedDict, total=False):
    messages: Annotated[list[Message], operator.add]
    """The conversation as shown to the user, appended to by every node that speaks or listens."""

    answers: dict[str, dict]
    """Question id -> AnswerRecord (score, confidence, verbatim evidence, turn, source)."""

    phase: Phase
    """interview: asking questions; confirm: showing our understanding; report/done: finished."""

    current: str | None
    """The question the last assistant message was mainly about (None before the first and after the last)."""

    asking: list[str]
    """Every question the last assistant message asked (a dimension's two; or an answer to confirm):
    a reply answers these directly; what it says about others is inferred (agent.core.answers)."""

    pending: dict | None
    """A closed question the last message put: {"kind": "options", "question", "options": [scores]}
    or {"kind": "verify", "questions": [...]}; a reply "2" or "yes" is read against it first."""

    offered: list[str]
    """Questions whose numbered options were offered."""

    declined: dict[str, list[int]]
    """Options the interviewee said were not it ("something else"): the others are offered next."""

    conflicts: dict[str, int]
    """Questions with a confident later reading that contradicts their answer (→ the other score)."""

    choose: dict[str, list[int]]
    """At the review step: questions said to be wrong without the facts that settle them → the
    options to offer."""

    hints: dict[str, list[int]]
    """The reader's likeliest options for questions a reply touched but did not settle."""

    flags: list[dict]
    """Replies that carried text aimed at the assessor rather than describing practice (fake system
    or tool messages, markup, instructions, self-ratings: agent.core.screening), or whose readings
    the evidence check refused as injected or undescribed: {"turn", "kinds", "dropped"} each."""

    review: dict | None
    """At the review step: what the last reply asked for (agent.core.review.ReviewIntent)."""

    asked: list[str]
    """Questions in the order they were put, for /back."""

    attempts: dict[str, int]
    """How often each question has been put, so an unanswerable one is not asked forever."""

    skipped: list[str]
    """Questions the user chose to skip; not asked again, reported as missing."""

    reply: str
    """The latest user reply, cleaned (control characters removed, truncated to the limit)."""

    command: str | None
    """The command the latest reply expressed (skip, back, finish, confirm), if any."""

    update: dict | None
    """The latest verified RubricUpdate plus "changed" (question ids) and "changes" (old → new,
    with the words), for acknowledging and planning."""

    notices: list[str]
    """Things to tell the user with the next message (truncation, dropped evidence, ...)."""

    plan: dict | None
    """The planner's decision (action, question, mode) for the ask/confirm nodes."""

    outage: str | None
    """Set when every model failed on the last reply: the face says so and stops (saved)."""

    alerts: list[str]
    """Fallback notices (another model answered than the one configured) for the next message,
    shown verbatim at its top (agent.interview.notices)."""

    announced: list[str]
    """Model switches already announced in this session ("configured -> fallback")."""

    trace_id: str
    """The session's Langfuse trace id: random, made when the session starts."""

    user_turns: int
    calls: Annotated[list[dict], operator.add]
    """Every model call: task, model, tokens, cost, latency, ok/error."""

    model: str
    """The model the session runs on."""

    attachment: dict | None
    """The organization round the session answers for (organization, round, respondent, role, scope:
    the dimensions asked about); its answers are copied to the organization store after each turn."""
    organization: str | None
    """The assessed organization's name, for the report (chat --org, or the web page's field)."""

    org_candidate: str | None
    """An organization name heard in a reply, offered for the report (used unless declined)."""

    org_declined: bool
    """The person said not to name the organization on the report."""

    advice: dict | None
    """The recommended actions grounded in retrieved passages (Advice), set by the advise node."""

    followups: Annotated[list[dict], operator.add]
    """Follow-up questions after the report and their answers (with the passages cited)."""

    result: dict | None
    """The final AssessmentResult (JSON export), set by the report node."""

    report_md: str | None
