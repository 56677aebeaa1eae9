"""greet: open the interview with the greeting and the first dimension's open question (no model
call, so it appears at once while litellm is still importing)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.core.attachment import in_scope
from agent.core.phrasing import load_phrasing, opening_message
from agent.interview.context import Services
from agent.interview.state import InterviewState


def greet(state: InterviewState, runtime: Runtime[Services]) -> dict:
    svc = runtime.context
    attachment = svc.attachment or state.get("attachment")
    scope = (attachment or {}).get("scope")
    asked = in_scope(svc.rubric, scope)  # a respondent asked about some dimensions only
    first = next(q for q in svc.rubric.questions if q.id in asked)
    opening = [q.id for q in svc.rubric.questions_in(first.dimension)]  # the first dimension, both questions
    text = opening_message(svc.rubric, load_phrasing(), svc.gateway.notice, scope)
    return {
        "messages": [{"role": "assistant", "content": text}],
        "phase": "interview",
        "current": first.id,
        "asking": opening,
        "asked": [first.id],
        "attempts": dict.fromkeys(opening, 1),
        "answers": {},
        "skipped": [q.id for q in svc.rubric.questions if q.id not in asked],
        "notices": [],
        "user_turns": 0,
        "model": svc.gateway.model,
        # --org, or the name typed on the web page's start screen (handed in with the first input)
        "organization": svc.organization or state.get("organization") or (attachment or {}).get("organization"),
        "attachment": attachment,
    }
