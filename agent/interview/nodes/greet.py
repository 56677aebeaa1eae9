"""greet: open the interview with the greeting and the first question (no model call, so the
first question appears at once while litellm is still importing)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.core.phrasing import load_phrasing, opening_message
from agent.interview.context import Services
from agent.interview.state import InterviewState


def greet(state: InterviewState, runtime: Runtime[Services]) -> dict:
    svc = runtime.context
    first = svc.rubric.questions[0]
    text = opening_message(svc.rubric, load_phrasing(), svc.gateway.notice)
    return {
        "messages": [{"role": "assistant", "content": text}],
        "phase": "interview",
        "current": first.id,
        "asked": [first.id],
        "attempts": {first.id: 1},
        "answers": {},
        "skipped": [],
        "notices": [],
        "user_turns": 0,
        "model": svc.gateway.model,
        "organization": svc.organization,
    }
