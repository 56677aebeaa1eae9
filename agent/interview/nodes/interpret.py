"""interpret: one structured model call turns the reply into a verified RubricUpdate and merges it
(see agent.interview.reading, which the batch evaluation shares)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.interview.context import Services
from agent.interview.reading import read_reply
from agent.interview.state import InterviewState


def interpret(state: InterviewState, runtime: Runtime[Services]) -> dict:
    svc = runtime.context
    reading = read_reply(
        svc, state["reply"], current=state.get("current"), answers=state.get("answers", {}),
        messages=state.get("messages", []), turn=state.get("user_turns", 0),
    )
    notices = [*state.get("notices", []), *reading.notices]
    out: dict = {"update": reading.update, "notices": notices, "calls": [c.model_dump() for c in reading.calls],
                 "outage": reading.outage}
    if reading.update is None:
        return out
    if state.get("model") and svc.gateway.model != state.get("model"):
        # The gateway gave up on the configured model when it first loaded (e.g. unknown model).
        out["model"] = svc.gateway.model
        notices.append(svc.gateway.notice or f"Now using {svc.gateway.model}.")
    return {**out, "answers": reading.answers}
